"""Orders in PostgreSQL: the only module that knows the SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pg8000.native

from services.common.db import ConnectionPool, migrate_with_lock
from services.common.orders import Order

_SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS orders (
        id              BIGSERIAL PRIMARY KEY,
        user_id         BIGINT NOT NULL,
        number_of_items INTEGER NOT NULL CHECK (number_of_items > 0),
        total_amount    NUMERIC(12, 2) NOT NULL CHECK (total_amount >= 0),
        message_id      TEXT,
        request_id      TEXT,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    )
    """,
    # A redelivered message carries the same id: the index makes its second insert a no-op.
    "CREATE UNIQUE INDEX IF NOT EXISTS orders_message_id_key ON orders (message_id)",
]
_MIGRATION_LOCK = 0x62696C6C  # "bill"

_INSERT_BATCH = """
INSERT INTO orders (message_id, request_id, user_id, number_of_items, total_amount)
SELECT * FROM unnest(
    CAST(:message_ids AS text[]), CAST(:request_ids AS text[]), CAST(:user_ids AS bigint[]),
    CAST(:items AS integer[]), CAST(:amounts AS numeric[])
)
ON CONFLICT (message_id) DO NOTHING
RETURNING 1
"""


@dataclass(frozen=True)
class OrderRecord:
    order: Order
    message_id: str | None
    request_id: str | None


def migrate(conn: pg8000.native.Connection) -> None:
    migrate_with_lock(conn, _MIGRATION_LOCK, _SCHEMA)


class OrderStore:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def insert(self, records: Sequence[OrderRecord]) -> int:
        """Stores the batch in one statement (all or nothing); returns rows actually added."""
        if not records:
            return 0
        # With every message id present the batch is idempotent (ON CONFLICT skips a row
        # already stored), so it is sent again even after a commit that went unanswered; an
        # order without an id could be stored twice so, and the batch is then repeated only
        # when the server surely did not run it.
        keyed = all(r.message_id for r in records)
        run = self._pool.run_idempotent if keyed else self._pool.run
        rows = run(
            _INSERT_BATCH,
            message_ids=[r.message_id for r in records],
            request_ids=[r.request_id for r in records],
            user_ids=[r.order.user_id for r in records],
            items=[r.order.number_of_items for r in records],
            amounts=[r.order.total_amount for r in records],
        )
        return len(rows)

    def ping(self) -> None:
        self._pool.ping()
