"""Runs the scenarios one after another and records the run."""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from types import ModuleType

from faults.context import Context
from faults.result import Result

log = logging.getLogger("faults")

# Scenario name -> module, in the order they run: the cheap, decisive ones first.
SCENARIOS = {
    "parser-fuzz": "parser_fuzz",
    "poison": "poison",
    "hung-inventory": "hung_inventory",
    "slow-clients": "slow_clients",
    "auth-fuzz": "auth_fuzz",
    "billing-sigkill": "billing_kills",
    "broker-cut": "broker_cut",
    "db-terminate": "db_terminate",
    "pg-failover-sync": "pg_failover_sync",
    "pg-failover-async": "pg_failover_async",
    "two-consumers": "two_consumers",
    "rabbitmq-cluster": "rabbitmq_cluster",
    "gateway-fuzz": "gateway_fuzz",
}


def load(module: str) -> ModuleType:
    return importlib.import_module(f"faults.scenarios.{module}")


def select(names: list[str]) -> list[ModuleType]:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    return [load(SCENARIOS[name]) for name in names or SCENARIOS]


def run_one(module: ModuleType, ctx: Context) -> Result:
    started = time.monotonic()
    log.info("scenario %s: starting", module.NAME)
    try:
        result = module.run(ctx)
    except Exception:
        result = Result(module.NAME, module.CLAIM)
        result.failures.append("scenario crashed: " + traceback.format_exc(limit=5))
    result.seconds = time.monotonic() - started
    verdict = "passed" if result.passed else f"FAILED: {result.failures}"
    log.info("scenario %s: %s in %.0f s %s", result.name, verdict, result.seconds, result.figures)
    return result
