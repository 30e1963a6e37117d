"""waitress's queue-depth warnings: counted and logged once per interval (both real servers'
summaries and metrics are in test_servers.py)."""

from __future__ import annotations

import logging

import pytest

from services.common.queue_depth import QueueDepthLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _summaries(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "waitress.queue"]


def test_a_burst_of_warnings_is_one_line_with_its_count_and_worst_depth(caplog):
    clock = Clock()
    depth_log = QueueDepthLog(10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        for depth in (1, 5, 3, 2):
            depth_log.warning("Task queue depth is %d", depth)
        assert _summaries(caplog) == []
        clock.now += 10.0
        depth_log.tick()
        depth_log.tick()
    [line] = _summaries(caplog)
    assert (line.warnings, line.worst_depth, line.seconds) == (4, 5, 10.0)
    assert depth_log.total == 4


def test_a_quiet_interval_logs_nothing_and_flush_reports_the_rest(caplog):
    clock = Clock()
    depth_log = QueueDepthLog(10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        clock.now += 30.0
        depth_log.tick()
        assert _summaries(caplog) == []
        depth_log.warning("Task queue depth is %d", 7)
        depth_log.flush()
    assert [r.worst_depth for r in _summaries(caplog)] == [7]
