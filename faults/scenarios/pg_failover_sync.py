"""PostgreSQL failover with synchronous replication: see faults.pg_failover."""

from __future__ import annotations

from faults.context import Context
from faults.pg_failover import claim, run_failover
from faults.result import Result

NAME = "pg-failover-sync"
CLAIM = claim(synchronous=True)


def run(ctx: Context) -> Result:
    return run_failover(ctx, NAME, synchronous=True)
