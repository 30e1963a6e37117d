"""Movies in PostgreSQL: the only module that knows the SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pg8000.native

from services.common.db import ConnectionPool, migrate_with_lock
from services.common.errors import DependencyUnavailable

_SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS movies (
        id          BIGSERIAL PRIMARY KEY,
        title       TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    )
    """,
    # A key of the service's own per creation: an INSERT whose commit went unanswered (the
    # primary died during COMMIT) is sent again with the same key, and finds its row instead of
    # making a second one.
    "ALTER TABLE movies ADD COLUMN IF NOT EXISTS create_key UUID",
    "CREATE UNIQUE INDEX IF NOT EXISTS movies_create_key ON movies (create_key)",
]
_MIGRATION_LOCK = 0x6D6F7669  # "movi": one key per database, any constant works
_COLUMNS = "id, title, description"
_TITLE_MATCH = "strpos(lower(title), lower(:needle)) > 0"
# PostgreSQL writes the JSON (row_to_json): one text value per page, which pg8000 hands over
# as it is, instead of a Python object per row and field to decode, build and encode again.
# The ORDER BY inside string_agg is what guarantees the id order a client gets: an aggregate
# over a sorted subquery keeps its order only "usually". It costs a sort of each page on
# PostgreSQL 15 (docs/performance.md); 16 and later skip it for input already in that order.
_PAGE = """
    WITH page AS (
        SELECT id, title, description FROM movies WHERE id > :after {filter}
        ORDER BY id LIMIT :limit
    )
    SELECT coalesce(string_agg(row_to_json(page)::text, ',' ORDER BY id), ''), count(*),
           max(id), EXISTS (SELECT 1 FROM movies WHERE id > (SELECT max(id) FROM page) {filter})
    FROM page
"""
_ONE_JSON = f"SELECT row_to_json(m)::text FROM (SELECT {_COLUMNS} FROM movies WHERE id = :id) m"
# Safe to repeat: the first run inserts the row, a repeat after an unknown commit returns it.
_CREATE = f"""
    WITH made AS (
        INSERT INTO movies (title, description, create_key)
        VALUES (:title, :description, :key)
        ON CONFLICT (create_key) DO NOTHING
        RETURNING {_COLUMNS}
    )
    SELECT {_COLUMNS} FROM made
    UNION ALL
    SELECT {_COLUMNS} FROM movies WHERE create_key = :key AND NOT EXISTS (SELECT 1 FROM made)
"""


@dataclass(frozen=True)
class Movie:
    id: int
    title: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description}


@dataclass(frozen=True)
class JsonPage:
    """Up to `limit` movies with ids above `after`, in id order, as JSON objects joined by
    commas (no brackets), so that pages concatenate into one array."""

    objects: str
    count: int
    last_id: int | None
    more: bool


def migrate(conn: pg8000.native.Connection) -> None:
    migrate_with_lock(conn, _MIGRATION_LOCK, _SCHEMA)


class MovieStore:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def page_json(self, *, after: int, limit: int, title_contains: str | None = None) -> JsonPage:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if title_contains:
            params["needle"] = title_contains
        sql = _PAGE.format(filter=f"AND {_TITLE_MATCH}" if title_contains else "")
        objects, count, last_id, more = self._pool.run_read(sql, **params)[0]
        return JsonPage(objects, int(count), last_id, bool(more))

    def get_json(self, movie_id: int) -> str | None:
        rows = self._pool.run_read(_ONE_JSON, id=movie_id)
        return rows[0][0] if rows else None

    def create(self, title: str, description: str) -> Movie:
        rows = self._pool.run_idempotent(
            _CREATE, title=title, description=description, key=uuid.uuid4()
        )
        if not rows:
            # The first attempt's row exists but is not visible yet: its transaction was
            # still running when the repeat looked. Not knowing, answer 503, never a second row.
            raise DependencyUnavailable("the database is unavailable")
        return Movie(*rows[0])

    def update(self, movie_id: int, title: str | None, description: str | None) -> Movie | None:
        # Idempotent: a repeat sets the same values and answers the same row.
        rows = self._pool.run_idempotent(
            "UPDATE movies SET title = COALESCE(:title, title), "
            "description = COALESCE(:description, description), updated_at = now() "
            f"WHERE id = :id RETURNING {_COLUMNS}",
            id=movie_id,
            title=title,
            description=description,
        )
        return Movie(*rows[0]) if rows else None

    def delete(self, movie_id: int) -> bool:
        rows = self._pool.run("DELETE FROM movies WHERE id = :id RETURNING id", id=movie_id)
        return bool(rows)

    def delete_all(self) -> int:
        rows = self._pool.run(
            "WITH gone AS (DELETE FROM movies RETURNING 1) SELECT count(*) FROM gone"
        )
        return int(rows[0][0])

    def ping(self) -> None:
        self._pool.ping()
