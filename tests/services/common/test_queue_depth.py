"""waitress's queue-depth warnings: counted, logged once per interval, and on /metrics."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest

from orchestrator.local.process import free_port
from services.common.queue_depth import QueueDepthLog
from services.common.server import ServerSettings, build_server, serve_until_stopped


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


def _slow_app(environ, start_response):
    time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_a_real_waitress_backlog_is_aggregated_and_counted(caplog):
    settings = ServerSettings("127.0.0.1", free_port(), threads=1, queue_log_seconds=0.2)
    registry = CollectorRegistry()
    server = build_server(_slow_app, settings, name="test", registry=registry)
    stop = threading.Event()
    serving = threading.Thread(target=serve_until_stopped, args=(server, stop, 1.0))
    url = f"http://127.0.0.1:{settings.port}/"
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        serving.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                statuses = list(
                    pool.map(lambda _: requests.get(url, timeout=10).status_code, range(24))
                )
        finally:
            stop.set()
            serving.join(10)
    assert statuses == [200] * 24
    lines = _summaries(caplog)
    # 24 requests on one thread: most wait, and ~1.2 s of backlog is a handful of lines.
    assert 1 <= len(lines) <= 8
    warned = sum(r.warnings for r in lines)
    assert warned >= 10
    assert f"server_task_queue_backlogs_total {float(warned)}" in generate_latest(registry).decode()
    assert "server_task_queue_depth 0.0" in generate_latest(registry).decode()
