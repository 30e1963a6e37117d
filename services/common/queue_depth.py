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


class QueueDepthLog:
    """Stands in for the logger of waitress's task dispatcher (it calls `warning(msg, depth)`)
    and logs the count and the worst depth once per `interval` seconds."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._count = 0
        self._worst = 0
        self.total = 0

    def warning(self, msg: str, depth: int, *args: object) -> None:
        with self._lock:
            self._count += 1
            self.total += 1
            self._worst = max(self._worst, depth)
        self.tick()

    def tick(self) -> None:
        """Logs the window's summary once the interval is over; cheap enough for every turn
        of the server's loop."""
        now = self._clock()
        if now - self._window_start < self._interval:
            return
        with self._lock:
            count, worst, started = self._count, self._worst, self._window_start
            self._count, self._worst, self._window_start = 0, 0, now
        if count:
            log.warning(
                "task queue backed up",
                extra={"warnings": count, "worst_depth": worst, "seconds": round(now - started, 1)},
            )

    def flush(self) -> None:
        self._window_start -= self._interval
        self.tick()


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
