"""The targets, checked against one run's figures (reported, never asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from math import inf
from typing import Any

BY_ID = "GET /api/movies/{id}"
ORDERS = "POST /api/billing"
DRAIN_GOAL = 5000.0
LIST_AT = 10_000
WHOLE_LIST = 100_000
MOST_CONNECTIONS = 512


@dataclass(frozen=True)
class Target:
    figure: str
    measured: float
    goal: float
    at_most: bool  # True: measured must stay below goal (or equal, with `inclusive`)
    seed: str
    unit: str = ""
    inclusive: bool = False

    @property
    def met(self) -> bool:
        if self.at_most:
            return self.measured <= self.goal if self.inclusive else self.measured < self.goal
        return self.measured >= self.goal

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "met": self.met}


def _cpu_us(figure: str, measured: float, goal: float, seed: str) -> Target:
    return Target(figure, measured, goal, True, seed, " µs", inclusive=True)


def evaluate(results: dict[str, Any]) -> list[Target]:
    return _reads(results) + _orders(results) + _kept(results) + _scale(results)


def _reads(results: dict[str, Any]) -> list[Target]:
    by_id = results["http"][BY_ID]
    listed = results["stall"]
    stalled = listed["while_listing"]
    inventory_us = by_id["inventory"]["cpu_us_per_request"]["inventory"]
    gateway_us = by_id["gateway"]["cpu_us_per_request"]["gateway"]
    return [
        _cpu_us("inventory CPU per GET by id", inventory_us, 450, "1,066 µs"),
        Target("inventory GET by id, of no-op", by_id["of_noop"]["inventory"], 0.45, False, "0.24"),
        _cpu_us("gateway CPU per GET by id through it", gateway_us, 450, "734 µs"),
        Target("gateway GET by id, of no-op", by_id["of_noop"]["gateway"], 0.3, False, "0.23"),
        Target(
            f"gateway GET by id p99 while a list of {WHOLE_LIST:,} streams",
            # Only a load that really ran beside whole lists counts.
            stalled["p99_ms"] if listed["lists_read"] and not listed["lists_failed"] else inf,
            100,
            True,
            "",
            " ms",
        ),
    ]


def _orders(results: dict[str, Any]) -> list[Target]:
    orders = results["http"][ORDERS]
    return [
        _cpu_us(
            f"gateway CPU per {ORDERS} (confirms)",
            orders["gateway"]["cpu_us_per_request"]["gateway"],
            600,
            "1,152 µs",
        ),
        Target(f"{ORDERS} (confirms), of no-op", orders["of_noop"]["gateway"], 0.3, False, "0.15"),
    ]


def _kept(results: dict[str, Any]) -> list[Target]:
    rss = results["rss_mib"]
    batched = results["ceilings"]["postgres"]["batched_rows_per_s"]
    return [
        Target(
            "billing drain orders/s (10,000, exactly once)",
            results["drain"]["orders_per_s"],
            min(DRAIN_GOAL, batched / 2),
            False,
            "1,703",
        ),
        Target("largest idle RSS", max(rss["idle"].values()), 60, True, "61-80 MiB", " MiB"),
        Target(
            "largest RSS under load", max(rss["under_load"].values()), 120, True, "129 MiB", " MiB"
        ),
        Target(
            "gateway log lines per request under load",
            results["log_lines_per_request"]["gateway"],
            1.1,
            True,
            "1.5",
            inclusive=True,
        ),
    ]


def _scale(results: dict[str, Any]) -> list[Target]:
    points = {p["movies"]: p for p in results["list"]["points"]}
    at = points[LIST_AT]
    whole = results["list"]["whole_list"]
    most = next(p for p in results["connections"] if p["connections"] == MOST_CONNECTIONS)
    return [
        Target(
            f"inventory CPU per list of {LIST_AT:,}",
            at["cpu_ms_per_request"]["inventory"],
            10,
            True,
            "51 ms",
            " ms",
            inclusive=True,
        ),
        Target(
            f"inventory peak RSS, list of {LIST_AT:,} x {at['connections']} connections",
            at["peak_rss_mib"]["inventory"],
            80,
            True,
            "138 MiB",
            " MiB",
        ),
        Target(
            f"movies in one list of {WHOLE_LIST:,} via the gateway (HTTP {whole['status']})",
            whole["received"] if whole["status"] == 200 else 0,
            WHOLE_LIST,
            False,
            "504 after 10 s",
        ),
        Target(
            f"inventory peak RSS, list of {WHOLE_LIST:,}",
            max(
                points[WHOLE_LIST]["peak_rss_mib"]["inventory"], whole["peak_rss_mib"]["inventory"]
            ),
            120,
            True,
            "584 MiB",
            " MiB",
        ),
        Target(
            f"errors at {MOST_CONNECTIONS} connections through the gateway",
            most["errors"],
            0,
            True,
            "",
            inclusive=True,
        ),
    ]
