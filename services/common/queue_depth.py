"""waitress's "Task queue depth is N" warnings, one line per interval instead of one each.

waitress warns on every request that finds all its worker threads busy: under a steady
overload that is most requests, more log lines than access lines. What an operator needs
is that the queue backed up, how often and how deep; the queue depth is also a metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sized

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

log = logging.getLogger("waitress.queue")


class BusySummary:
    """Counts the moments a server was busy and logs, once per `interval` seconds, how many
    there were and the worst value seen, instead of one line each."""

    def __init__(
        self,
        interval: float,
        *,
        logger: logging.Logger,
        message: str,
        keys: tuple[str, str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._log = logger
        self._message = message
        self._count_key, self._worst_key = keys
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._count = 0
        self._worst = 0
        self.total = 0

    def note(self, value: int) -> None:
        with self._lock:
            self._count += 1
            self.total += 1
            self._worst = max(self._worst, value)
        self.tick()

    def tick(self) -> None:
        """Logs the window's summary once the interval is over; cheap enough for every turn
        of a server's loop."""
        now = self._clock()
        if now - self._window_start < self._interval:
            return
        with self._lock:
            count, worst, started = self._count, self._worst, self._window_start
            self._count, self._worst, self._window_start = 0, 0, now
        if count:
            self._log.warning(
                self._message,
                extra={
                    self._count_key: count,
                    self._worst_key: worst,
                    "seconds": round(now - started, 1),
                },
            )

    def flush(self) -> None:
        self._window_start -= self._interval
        self.tick()


class QueueDepthLog(BusySummary):
    """Stands in for the logger of waitress's task dispatcher (it calls `warning(msg, depth)`
    for each request that finds every worker thread busy)."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(
            interval,
            logger=log,
            message="task queue backed up",
            keys=("warnings", "worst_depth"),
            clock=clock,
        )

    def warning(self, msg: str, depth: int, *args: object) -> None:
        self.note(depth)


class QueueDepthCollector:
    """/metrics: the tasks waiting for a worker thread now, and how often the queue backed up."""

    def __init__(self, queue: Sized, depth_log: QueueDepthLog) -> None:
        self._queue = queue
        self._log = depth_log

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "server_task_queue_depth",
            "Requests waiting for a free worker thread.",
            value=len(self._queue),
        )
        yield CounterMetricFamily(
            "server_task_queue_backlogs",
            "Requests that found every worker thread busy.",
            value=self._log.total,
        )
