"""The issue's targets, checked against one run's figures (reported, never asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BY_ID = "GET /api/movies/{id}"
ORDERS = "POST /api/billing"
DRAIN_GOAL = 5000.0


@dataclass(frozen=True)
class Target:
    figure: str
    measured: float
    goal: float
    at_most: bool  # True: measured must stay below goal
    seed: str
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.measured < self.goal if self.at_most else self.measured >= self.goal

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "met": self.met}


def evaluate(results: dict[str, Any]) -> list[Target]:
    http, rss = results["http"], results["rss_mib"]
    by_id = http[BY_ID]
    batched = results["ceilings"]["postgres"]["batched_rows_per_s"]
    return [
        Target("gateway/inventory req/s, GET by id", by_id["ratio"], 0.7, False, "0.50"),
        Target("gateway p99, GET by id", by_id["gateway"]["p99_ms"], 50, True, "56 ms", " ms"),
        Target(f"{ORDERS} req/s (confirms)", http[ORDERS]["gateway"]["rps"], 1500, False, "315"),
        Target(
            "billing drain orders/s (10,000)",
            results["drain"]["orders_per_s"],
            min(DRAIN_GOAL, batched / 2),
            False,
            "1,703",
        ),
        Target("largest idle RSS", max(rss["idle"].values()), 60, True, "61-80 MiB", " MiB"),
        Target(
            "largest RSS under load", max(rss["under_load"].values()), 120, True, "129 MiB", " MiB"
        ),
    ]
