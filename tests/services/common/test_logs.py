"""JSON log lines: the access log's direct path writes exactly what logging would."""

from __future__ import annotations

import io
import json
import logging
import os
import select
import sys
import threading

import pytest

from services.common.logs import configure_logging, log_line


@pytest.fixture
def stdout(monkeypatch):
    """A service's logging set-up, writing to a buffer; the test run's own handlers after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    configure_logging("svc")
    yield buffer
    root.handlers[:], root.level = saved


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


FIELDS = {"request_id": "r-1", "path": "/api/movies/1", "status": 200, "duration_ms": 1.5}


def test_the_direct_line_is_the_line_logging_writes(stdout):
    log = logging.getLogger("access")
    log.info("request", extra=FIELDS)
    log_line(log, logging.INFO, "request", FIELDS)
    through_logging, direct = _lines(stdout)
    assert direct["ts"][:19] == through_logging["ts"][:19]
    assert {**direct, "ts": ""} == {**through_logging, "ts": ""}
    assert direct == {
        "ts": direct["ts"],
        "level": "info",
        "service": "svc",
        "logger": "access",
        "msg": "request",
        **FIELDS,
    }


def test_a_level_below_the_threshold_writes_nothing(stdout):
    log_line(logging.getLogger("access"), logging.DEBUG, "request", FIELDS)
    assert stdout.getvalue() == ""


def test_with_another_handler_present_the_line_goes_through_logging(stdout, caplog):
    # caplog's handler sits beside the JSON one: both must see the line, so no shortcut.
    with caplog.at_level(logging.INFO, logger="access"):
        log_line(logging.getLogger("access"), logging.INFO, "request", FIELDS)
    assert [r.__dict__["path"] for r in caplog.records] == ["/api/movies/1"]


def test_lines_from_many_threads_arrive_whole_on_a_pipe(monkeypatch):
    """Lines above PIPE_BUF are not written atomically by a pipe: the handler's lock, not the
    kernel, keeps every line, short or long, whole and unmixed."""
    read_end, write_end = os.pipe()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", out)
    configure_logging("svc")
    collected = bytearray()
    reader = threading.Thread(target=lambda: collected.extend(_drain(read_end)))
    reader.start()
    log = logging.getLogger("access")
    sizes = (10, 200, select.PIPE_BUF, 3 * select.PIPE_BUF)  # below and above PIPE_BUF

    def write(n: int) -> None:
        for i in range(200):
            log_line(log, logging.INFO, "request", {"n": n, "i": i, "pad": "x" * sizes[i % 4]})

    try:
        writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
    finally:
        root.handlers[:], root.level = saved
        out.close()
        reader.join()
    lines = [json.loads(line) for line in collected.decode().splitlines()]
    assert sorted((x["n"], x["i"]) for x in lines) == [(n, i) for n in range(8) for i in range(200)]
    assert all(len(x["pad"]) == sizes[x["i"] % 4] for x in lines)


def _drain(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)
