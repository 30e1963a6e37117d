"""The services' HTTP server (waitress), real, on loopback: what the services rely on."""

from __future__ import annotations

import logging
import resource
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest

from services.common.server import ServerSettings, build_server, serve_until_stopped
from tests.harness.process import free_port

CHUNK = b"x" * 65536


def _app(environ: dict[str, Any], start_response: Any) -> Any:
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(1.0)
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (CHUNK for _ in range(int(environ["QUERY_STRING"] or 16)))
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(body)).encode(), b" ", environ["REQUEST_METHOD"].encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@contextmanager
def serving(
    *, threads: int = 4, drain: float = 5.0, queue_log_seconds: float = 10.0
) -> Iterator[Any]:
    settings = ServerSettings(
        "127.0.0.1", free_port(), threads=threads, queue_log_seconds=queue_log_seconds
    )
    registry = CollectorRegistry()
    stop = threading.Event()
    built = build_server(_app, settings, name="test", registry=registry)
    thread = threading.Thread(target=serve_until_stopped, args=(built, stop, drain))
    thread.start()
    url = f"http://127.0.0.1:{settings.port}"
    try:
        _wait_up(url)
        yield url, stop, thread, registry
    finally:
        stop.set()
        thread.join(drain + 5)
    assert not thread.is_alive()


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.02)
    raise TimeoutError(url)


def test_answers_reads_bodies_and_keeps_connections_alive():
    with serving() as (url, *_):
        session = requests.Session()
        assert session.get(url + "/").text == "ok"
        assert session.post(url + "/echo", data=b"a" * 100_000).text == "100000 POST"
        chunked = session.post(url + "/echo", data=iter([b"ab", b"cde"]))  # no Content-Length
        assert chunked.text == "5 POST"
        assert len(session.get(url + "/stream?3").content) == 3 * len(CHUNK)


def test_a_taken_port_fails_when_the_server_is_built():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = ServerSettings("127.0.0.1", port, threads=1, queue_log_seconds=10.0)
        with pytest.raises(OSError):
            build_server(_app, settings, name="test")


def test_stop_finishes_in_flight_requests_and_refuses_new_ones():
    with serving() as (url, stop, thread, _):
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(requests.get, url + "/slow", timeout=10)
            time.sleep(0.3)  # the request is running
            stop.set()
            assert slow.result().text == "ok"
        thread.join(5)
        assert not thread.is_alive()
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/", timeout=2)


def test_a_long_answer_to_a_slow_reader_is_not_held_in_memory():
    """256 MiB streamed to a client that reads slowly: the producer waits for the client
    instead of buffering the answer (the movie list relies on this)."""
    with serving() as (url, *_):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with requests.get(url + "/stream?4096", stream=True, timeout=10) as answer:
            got = 0
            for piece in answer.iter_content(1 << 20):
                got += len(piece)
                if got < 32 << 20:
                    time.sleep(0.01)  # slow for the first 32 MiB: the producer must wait
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert got == 4096 * len(CHUNK)
    assert grown_mib < 64, f"peak RSS grew by {grown_mib:.0f} MiB"


def test_a_busy_server_is_one_summary_line_per_interval_and_a_metric(caplog):
    busy = serving(threads=1, queue_log_seconds=0.2)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"), busy as (url, _, _, registry):
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda _: requests.get(url + "/", timeout=10).status_code, range(40))
            )
        metrics = generate_latest(registry).decode()
    assert statuses == [200] * 40
    lines = [r for r in caplog.records if r.getMessage() == "task queue backed up"]
    assert 1 <= len(lines) <= 8
    [counted] = [
        float(line.split()[1])
        for line in metrics.splitlines()
        if line.startswith("server_task_queue_backlogs_total")
    ]
    assert counted >= 10
