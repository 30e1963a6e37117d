"""PostgreSQL's ceilings on this machine, measured with pgbench in a database of its own."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.wrk import BenchError
from tests.harness.backends import PG_HOST, PG_PORT, PG_USER, Database

# One committed single-row insert per transaction: the unit billing would pay without batching.
_INSERT_SCRIPT = (
    "INSERT INTO bench_orders (message_id, user_id, number_of_items, total_amount) "
    "VALUES (md5(random()::text), 1, 2, 20.00);\n"
)
# The same rows, BATCH to a transaction, as billing stores them (one INSERT ... SELECT).
BATCH = 500
_BATCH_SCRIPT = (
    "INSERT INTO bench_orders (message_id, user_id, number_of_items, total_amount) "
    f"SELECT md5(random()::text || g), 1, 2, 20.00 FROM generate_series(1, {BATCH}) g;\n"
)
_INSERT_TABLE = (
    "CREATE TABLE bench_orders (id BIGSERIAL PRIMARY KEY, message_id TEXT UNIQUE, "
    "user_id BIGINT, number_of_items INTEGER, total_amount NUMERIC(12, 2), "
    "created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)


def measure(seconds: int, *, select_clients: int = 8) -> dict[str, float]:
    """Primary-key selects/s (`select_clients` connections), committed single-row inserts/s
    and rows/s inserted BATCH per transaction (both on one connection)."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchError("pgbench is missing: install Debian's postgresql-client package")
    db = Database.create("movies_bench_pg")
    try:
        _pgbench(pgbench, db, "-i", "-q", "-s", "1")
        db.query(_INSERT_TABLE)
        selects = _tps(_pgbench(pgbench, db, *_timed(seconds, select_clients), "-S"))
        inserts = _script_tps(pgbench, db, seconds, _INSERT_SCRIPT)
        batches = _script_tps(pgbench, db, seconds, _BATCH_SCRIPT)
    finally:
        db.drop()
    return {
        "pk_selects_per_s": selects,
        "single_inserts_per_s": inserts,
        "batched_rows_per_s": round(batches * BATCH, 1),
    }


def _script_tps(pgbench: str, db: Database, seconds: int, sql: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(sql)
    try:
        return _tps(_pgbench(pgbench, db, *_timed(seconds, 1), "-f", script.name))
    finally:
        Path(script.name).unlink()


def _timed(seconds: int, clients: int) -> list[str]:
    # -M prepared: the cheapest protocol, so this is a ceiling; -n: no vacuum between runs.
    threads = min(clients, 2)
    return ["-n", "-M", "prepared", "-T", str(seconds), "-c", str(clients), "-j", str(threads)]


def _pgbench(pgbench: str, db: Database, *args: str) -> str:
    command = [pgbench, "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, *args, db.name]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"pgbench failed: {done.stderr.strip()[-300:]}")
    return done.stdout


def _tps(output: str) -> float:
    match = _TPS.search(output)
    if match is None:
        raise BenchError(f"pgbench printed no tps line: {output[-300:]}")
    return round(float(match.group(1)), 1)
