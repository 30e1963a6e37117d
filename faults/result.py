"""What a scenario found: the figures of the table and the broken promises, if any."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class Figures:
    sent: int = 0
    acknowledged: int = 0  # answered 200
    stored: int = 0
    duplicates: int = 0  # rows beyond the first for the same order
    lost: int = 0  # acknowledged but never stored
    dead_lettered: int = 0
    worst_recovery_s: float | None = None

    def recovered(self, seconds: float | None) -> None:
        if seconds is not None:
            self.worst_recovery_s = max(seconds, self.worst_recovery_s or 0.0)


@dataclass
class Result:
    name: str
    claim: str
    figures: Figures = field(default_factory=Figures)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def expect(self, condition: bool, failure: str) -> None:
        if not condition:
            self.failures.append(failure)

    def count_statuses(self, statuses: Counter[int]) -> None:
        for status, count in statuses.items():
            key = str(status) if status else "no answer"
            self.statuses[key] = self.statuses.get(key, 0) + count

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "passed": self.passed}


def account_orders(
    result: Result, *, sent: int, acknowledged: set[int], stored_user_ids: list[int]
) -> None:
    """Fills in the order figures and the two promises: nothing lost, nothing doubled."""
    stored = Counter(stored_user_ids)
    lost = acknowledged - stored.keys()
    figures = result.figures
    figures.sent += sent
    figures.acknowledged += len(acknowledged)
    figures.stored += len(stored_user_ids)
    figures.duplicates += sum(count - 1 for count in stored.values())
    figures.lost += len(lost)
    refused_but_stored = len(stored.keys() - acknowledged)
    if refused_but_stored:
        # Not a broken promise (503 promises nothing), but worth knowing: the broker took the
        # message although its confirm never reached the gateway, so a client that retries
        # such an order places it twice: the API has no client idempotency key to stop that.
        result.notes.append(f"{refused_but_stored} orders not answered 200 were stored anyway")
    result.expect(not lost, f"{len(lost)} acknowledged orders never stored: {sorted(lost)[:10]}")
    result.expect(
        figures.duplicates == 0,
        f"{figures.duplicates} orders stored more than once: "
        f"{sorted(k for k, c in stored.items() if c > 1)[:10]}",
    )
