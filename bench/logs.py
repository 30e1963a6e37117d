"""Log lines a service wrote while a load ran, per request served: what a log pipeline pays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from orchestrator.local.process import ServiceProcess


def _lines(service: ServiceProcess) -> int:
    with service.log_path.open("rb") as log:
        return sum(1 for _ in log)


@contextmanager
def counting(services: Sequence[ServiceProcess]) -> Iterator[dict[str, int]]:
    """Yields a dict that holds, once the block is over, the lines each service wrote in it."""
    before = {s.name: _lines(s) for s in services}
    written: dict[str, int] = {}
    yield written
    written.update({s.name: _lines(s) - before[s.name] for s in services})
