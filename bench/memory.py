"""Resident memory of the service processes: read now, or the peak while a load runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tests.harness.process import ServiceProcess

SAMPLE_SECONDS = 0.1


def rss_now(services: Sequence[ServiceProcess]) -> dict[str, float]:
    return {s.name: round(s.rss_mib(), 1) for s in services}


class PeakRss:
    """The highest RSS seen per service while sampling; a dict the caller keeps merging into."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}

    def record(self, sample: dict[str, float]) -> None:
        for name, mib in sample.items():
            self.peaks[name] = max(mib, self.peaks.get(name, 0.0))

    @contextmanager
    def sampling(self, services: Sequence[ServiceProcess]) -> Iterator[None]:
        # Sampling from a thread: /proc reads are cheap and a peak between samples is short.
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                self.record(rss_now(services))

        sampler = threading.Thread(target=loop, daemon=True)
        sampler.start()
        try:
            yield
        finally:
            stop.set()
            sampler.join()
            self.record(rss_now(services))
