"""The waitress names that services.common.waitress_internals relies on, checked against the
installed release: an upgrade that renames or changes one fails here, not in production.

The server listens on a Unix socket (the unit tier connects to no IP address), runs a real
request through the real event loop and worker threads, and is drained the way the services
drain it."""

from __future__ import annotations

import inspect
import re
import socket
import threading
import time
from importlib.metadata import version
from typing import Any

import pytest
from waitress import create_server, wasyncore
from waitress.channel import HTTPChannel
from waitress.task import ThreadedTaskDispatcher

from services.common import waitress_internals as internals
from tests.support.tools import REPO


def test_waitress_is_pinned_to_the_release_these_tests_ran_on():
    pyproject = (REPO / "pyproject.toml").read_text()
    pins = re.findall(r'"waitress==([^"]+)"', pyproject)
    assert pins == [version("waitress")]


def test_the_names_used_exist_with_the_parameters_used():
    assert {"timeout", "map", "use_poll", "count"} <= set(
        inspect.signature(wasyncore.loop).parameters
    )
    assert "map" in inspect.signature(wasyncore.close_all).parameters
    assert "map" in inspect.signature(create_server).parameters
    shutdown = inspect.signature(ThreadedTaskDispatcher.shutdown).parameters
    assert {"cancel_pending", "timeout"} <= set(shutdown)
    assert hasattr(ThreadedTaskDispatcher, "queue_logger")
    assert HTTPChannel.total_outbufs_len == 0


class Depths:
    def __init__(self) -> None:
        self.seen: list[int] = []

    def warning(self, msg: str, depth: int, *args: object) -> None:
        self.seen.append(depth)


@pytest.fixture
def server(tmp_path):
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    path = str(tmp_path / "waitress.sock")
    sockets: internals.SocketMap = {}
    built = create_server(app, map=sockets, unix_socket=path, threads=1)
    yield built, sockets, path, release
    release.set()
    internals.close(built, sockets)


def _send(path: str) -> socket.socket:
    client = socket.socket(socket.AF_UNIX)
    client.settimeout(5)
    client.connect(path)
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return client


def _turn_until(sockets: internals.SocketMap, condition: Any) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "the loop never got there"
        internals.turn_loop(sockets, timeout=0.01)


def test_the_map_passed_in_is_the_servers_socket_map(server):
    built, sockets, _, _ = server
    assert built in sockets.values()


def test_a_request_is_in_flight_until_its_answer_is_sent_then_drains(server):
    built, sockets, path, release = server
    depths = Depths()
    queue = internals.replace_queue_logger(built, depths)
    _turn_until(sockets, lambda: not internals.in_flight(built, sockets))  # threads started
    first, second = _send(path), _send(path)
    # One worker thread: the second request waits in the queue.
    _turn_until(sockets, lambda: depths.seen and len(queue) == 1)
    assert depths.seen == [1]
    assert len(queue) == 1
    assert internals.in_flight(built, sockets)
    internals.stop_accepting(built)
    assert built not in sockets.values()
    release.set()
    _turn_until(sockets, lambda: not internals.in_flight(built, sockets))
    assert first.recv(4096).startswith(b"HTTP/1.1 200 OK")
    assert second.recv(4096).endswith(b"done")
    first.close()
    second.close()
