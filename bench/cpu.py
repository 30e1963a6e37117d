"""CPU time spent per request by each process on the path: the figure that noise from other
programs on a shared machine disturbs least (they take CPU away, not add to ours)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
# Server processes found by name: every PostgreSQL backend, and RabbitMQ's Erlang VM.
SERVERS = {"postgres": "postgres", "rabbitmq": "beam.smp"}


def _cpu_seconds(pid: int | str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0  # the process ended between listing and reading
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _by_name(comm: str) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    total += _cpu_seconds(entry.name)
            except OSError:
                continue
    return total


def snapshot(pids: Mapping[str, int], servers: tuple[str, ...] = ()) -> dict[str, float]:
    """CPU seconds used so far by each named pid and by the named SERVERS (summed by name).

    The servers are shared with whatever else runs on the machine: their share is an upper
    bound, and only the servers a path uses are worth asking about."""
    seconds = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    seconds.update((name, _by_name(SERVERS[name])) for name in servers)
    return seconds


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    # A PostgreSQL backend that exited takes its CPU time with it: never report below zero.
    return {name: max(0.0, after[name] - before[name]) for name in before}


def per_unit_us(seconds: Mapping[str, float], units: int) -> dict[str, int]:
    return {name: round(s * 1e6 / units) for name, s in seconds.items()} if units else {}
