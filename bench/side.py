"""One side of a comparison: a URL under wrk load, its rounds, and the CPU that each process
on its path spent on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench import cpu
from bench.http_load import Case, measure, warm
from bench.wrk import LoadResult

NOOP_CASE = "noop"


@dataclass
class Side:
    url: str
    pids: dict[str, int]
    servers: tuple[str, ...] = ("postgres",)
    path: str | None = None  # the no-op ceiling has its own route, whatever the case
    rounds: list[LoadResult] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def _case(self, case: Case) -> Case:
        return case if self.path is None else Case(NOOP_CASE, self.path)

    def warm(self, case: Case) -> None:
        warm(self.url, self._case(case))

    def run(self, case: Case, seconds: int, connections: int | None = None) -> LoadResult:
        before = cpu.snapshot(self.pids, self.servers)
        result = measure(self.url, self._case(case), seconds, connections)
        self.rounds.append(result)
        for name, used in cpu.spent(before, cpu.snapshot(self.pids, self.servers)).items():
            self.cpu[name] = self.cpu.get(name, 0.0) + used
        return result

    def summary(self) -> dict[str, Any]:
        total = LoadResult.combine(self.rounds)
        return {
            **total.as_dict(),
            "rps_by_round": [round(r.rps, 1) for r in self.rounds],
            "p99_ms_by_round": [r.p99_ms for r in self.rounds],
            "cpu_us_per_request": cpu.per_unit_us(self.cpu, total.requests),
        }
