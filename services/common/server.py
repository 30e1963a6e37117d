"""Serving a WSGI app with waitress and shutting down gracefully on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from prometheus_client import CollectorRegistry
from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from services.common.config import Reader
from services.common.queue_depth import QueueDepthCollector, QueueDepthLog

log = logging.getLogger(__name__)

# Waitress itself rejects bodies above this (with a plain-text 413); the apps enforce their
# own, much smaller JSON-answered limits below it.
HARD_BODY_LIMIT = 64 * 1024 * 1024
# Bytes of an answer waitress holds for a client before the worker thread producing it waits
# (its default is 16 MiB, spilled to temporary files past 1 MiB): a streamed movie list then
# costs each slow client ~1 MiB, not its whole length.
OUTPUT_BUFFER = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    threads: int = 8
    connection_limit: int = 1000
    drain_seconds: float = 10.0
    queue_log_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Reader, *, drain_seconds: float = 10.0) -> ServerSettings:
        """HOST, PORT and THREADS, with this service's declared defaults."""
        return cls(
            host=env.text("HOST"),
            port=env.integer("PORT", minimum=1),
            threads=env.integer("THREADS", minimum=1),
            drain_seconds=drain_seconds,
            queue_log_seconds=env.number("QUEUE_LOG_SECONDS"),
        )


def build_server(
    app: Any, settings: ServerSettings, *, name: str, registry: CollectorRegistry | None = None
) -> BaseWSGIServer:
    server = create_server(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        connection_limit=settings.connection_limit,
        backlog=2048,
        channel_timeout=60,
        asyncore_use_poll=True,
        max_request_body_size=HARD_BODY_LIMIT,
        outbuf_high_watermark=OUTPUT_BUFFER,
        ident=name,
        clear_untrusted_proxy_headers=True,
    )
    dispatcher = server.task_dispatcher
    depth_log = QueueDepthLog(settings.queue_log_seconds)
    dispatcher.queue_logger = depth_log  # this server's dispatcher only, not waitress's class
    if registry is not None:
        registry.register(QueueDepthCollector(dispatcher.queue, depth_log))
    return server


def serve_until_stopped(server: BaseWSGIServer, stop: threading.Event, drain: float) -> None:
    """Runs the event loop until `stop`, then stops accepting and finishes in-flight requests.

    waitress's own `run()` stops its event loop on SIGTERM, which would strand responses that
    workers are still writing; draining first lets a rolling update drop no request.
    """
    depth_log = _depth_log(server)
    log.info("listening", extra={"address": f"{server.effective_host}:{server.effective_port}"})
    while not stop.is_set():
        server.asyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)
        depth_log.tick()
    server.del_channel()
    server.socket.close()
    deadline = time.monotonic() + drain
    while _busy(server) and time.monotonic() < deadline:
        server.asyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    server.asyncore.close_all(server._map)
    depth_log.flush()
    log.info("stopped")


def _depth_log(server: BaseWSGIServer) -> QueueDepthLog:
    depth_log = server.task_dispatcher.queue_logger
    if not isinstance(depth_log, QueueDepthLog):
        raise TypeError("serve_until_stopped needs a server made by build_server")
    return depth_log


def _busy(server: BaseWSGIServer) -> bool:
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len)
        for ch in list(server._map.values())
    )


def stop_on_signals(stop: threading.Event) -> None:
    # The handler only sets a flag: the loops poll it every half second, and anything more
    # (taking locks, closing sockets) could deadlock against the code it interrupted.
    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
