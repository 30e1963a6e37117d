"""The local stack cleans up after itself, even when it cannot start."""

from __future__ import annotations

import pytest

from tests.harness.backends import pg
from tests.harness.stack import Stack


def _databases() -> set[str]:
    admin = pg()
    try:
        return {row[0] for row in admin.run("SELECT datname FROM pg_database")}
    finally:
        admin.close()


def test_a_stack_that_cannot_start_leaves_no_process_or_database_behind(tmp_path):
    # MAX_BODY_BYTES must be >= 1: inventory refuses to start, as a broken build would.
    stack = Stack.create(tmp_path, MAX_BODY_BYTES="0")
    names = {stack.inventory_db.name, stack.billing_db.name}
    assert names <= _databases()
    with pytest.raises(RuntimeError, match="inventory exited"):
        stack.start()
    assert not names & _databases()
    assert stack.inventory.proc is None
