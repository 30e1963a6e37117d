"""The thread sweep: the no-op ceiling, inventory and the gateway at each THREADS setting, the
settings' rounds interleaved, with the CPU each process on the path spent per request.

Every setting gets processes of its own, started together and loaded one at a time: a gateway
twin has an inventory twin of its own (at inventory's declared THREADS), so that no server
carries another setting's idle keep-alive connections in its poll set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import noop
from bench.http_load import Case
from bench.side import Side
from tests.harness.process import ServiceProcess, free_port
from tests.harness.stack import Stack

THREADS = (1, 2, 4, 8, 16)
ROUNDS = 2
SECONDS = 3


@dataclass(frozen=True)
class Setting:
    threads: int
    side: Side


def sweep(stack: Stack, by_id: Case, workdir: Path) -> dict[str, Any]:
    """Rows per THREADS for the no-op, inventory (GET by id straight) and the gateway (GET by
    id through it), and the no-op's best thread count: the ceiling every ratio is taken of."""
    with ExitStack() as running:
        noops = [_noop_setting(running, workdir, n) for n in THREADS]
        found = {"noop": _load(noops, by_id)}
    with ExitStack() as running:
        twins = [_inventory_setting(running, stack, n) for n in THREADS]
        found["inventory"] = _load(twins, by_id)
    with ExitStack() as running:
        pairs = [_gateway_setting(running, stack, n) for n in THREADS]
        found["gateway"] = _load(pairs, by_id)
    best = max(found["noop"], key=lambda row: row["rps"])
    for rows in found.values():
        for row in rows:
            row["of_noop"] = round(row["rps"] / best["rps"], 3) if best["rps"] else 0.0
    return {
        "threads": list(THREADS),
        "rounds": ROUNDS,
        "seconds_per_round": SECONDS,
        "noop_best_threads": best["threads"],
        "rows": found,
    }


def _load(settings: list[Setting], case: Case) -> list[dict[str, Any]]:
    for setting in settings:
        setting.side.warm(case)
    for _ in range(ROUNDS):
        for setting in settings:
            setting.side.run(case, SECONDS)
    return [{"threads": s.threads, **s.side.summary()} for s in settings]


def _noop_setting(running: ExitStack, workdir: Path, threads: int) -> Setting:
    log = workdir / f"noop-sweep-{threads}.log"
    ceiling = running.enter_context(noop.running(free_port(), log, threads=threads))
    side = Side(ceiling.url, {"noop": ceiling.pid}, servers=(), path=noop.PATH)
    return Setting(threads, side)


def _inventory_setting(running: ExitStack, stack: Stack, threads: int) -> Setting:
    twin = running.enter_context(_twin(stack, "inventory", stack.inventory.env, threads))
    return Setting(threads, Side(twin.url, {"inventory": twin.pid}))


def _gateway_setting(running: ExitStack, stack: Stack, threads: int) -> Setting:
    inventory = running.enter_context(_twin(stack, "inventory", stack.inventory.env, None))
    env = {**stack.gateway.env, "INVENTORY_URL": inventory.url}
    gateway = running.enter_context(_twin(stack, "gateway", env, threads))
    pids = {"gateway": gateway.pid, "inventory": inventory.pid}
    return Setting(threads, Side(gateway.url, pids))


@contextmanager
def _twin(
    stack: Stack, name: str, env: dict[str, str], threads: int | None
) -> Iterator[ServiceProcess]:
    """A service process on the stack's database and queue; `threads` None keeps its
    declared THREADS."""
    settings = {} if threads is None else {"THREADS": str(threads)}
    label = f"{name}-sweep-{threads or 'default'}-{free_port()}"
    process = ServiceProcess(name, {**env, **settings}, stack.workdir / f"{label}.log")
    try:
        yield process.start(wait_for="/readyz")
    finally:
        process.stop()
