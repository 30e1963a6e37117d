"""Serving a service's WSGI app with waitress until SIGTERM, then draining: the settings and
the signal handling that every service shares.

The server binds when it is built (a taken port fails at start, in one line), runs the app on
`threads` worker threads, stops accepting on `stop`, lets in-flight requests finish for up to
`drain` seconds, and logs a summary line per interval when busy instead of a line per request.
"""

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

from services.common import waitress_internals as internals
from services.common.config import Reader
from services.common.queue_depth import QueueDepthCollector, QueueDepthLog

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
CONNECTION_LIMIT = 1000
BACKLOG = 2048
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
    threads: int
    queue_log_seconds: float
    drain_seconds: float = DRAIN_SECONDS

    @classmethod
    def from_env(cls, env: Reader, *, drain_seconds: float = DRAIN_SECONDS) -> ServerSettings:
        """HOST, PORT, THREADS and QUEUE_LOG_SECONDS, with this service's declared defaults."""
        return cls(
            host=env.text("HOST"),
            port=env.integer("PORT", minimum=1),
            threads=env.integer("THREADS", minimum=1),
            queue_log_seconds=env.number("QUEUE_LOG_SECONDS"),
            drain_seconds=drain_seconds,
        )


class WaitressServer:
    """waitress's event loop on the calling thread, the app on its worker threads."""

    def __init__(
        self,
        app: Any,
        settings: ServerSettings,
        *,
        name: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._address = f"{settings.host}:{settings.port}"
        self._sockets: internals.SocketMap = {}
        self._server = create_server(
            app,
            map=self._sockets,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            connection_limit=CONNECTION_LIMIT,
            backlog=BACKLOG,
            channel_timeout=60,
            asyncore_use_poll=True,
            max_request_body_size=HARD_BODY_LIMIT,
            outbuf_high_watermark=OUTPUT_BUFFER,
            ident=name,
            clear_untrusted_proxy_headers=True,
        )
        self._depth_log = QueueDepthLog(settings.queue_log_seconds)
        queue = internals.replace_queue_logger(self._server, self._depth_log)
        if registry is not None:
            registry.register(QueueDepthCollector(queue, self._depth_log))

    def serve(self, stop: threading.Event, drain: float) -> None:
        """Serves until `stop`, then stops accepting and gives in-flight requests `drain`
        seconds to finish, so that a rolling update drops no request."""
        log.info("listening", extra={"address": self._address, "server": "waitress"})
        while not stop.is_set():
            internals.turn_loop(self._sockets, timeout=0.5)
            self._depth_log.tick()
        internals.stop_accepting(self._server)
        deadline = time.monotonic() + drain
        while internals.in_flight(self._server, self._sockets) and time.monotonic() < deadline:
            internals.turn_loop(self._sockets, timeout=0.05)
        internals.close(self._server, self._sockets)
        self._depth_log.flush()
        log.info("stopped")


def build_server(
    app: Any, settings: ServerSettings, *, name: str, registry: CollectorRegistry | None = None
) -> WaitressServer:
    """The server, already bound to its port (a taken port fails here, at start)."""
    return WaitressServer(app, settings, name=name, registry=registry)


def serve_until_stopped(server: WaitressServer, stop: threading.Event, drain: float) -> None:
    server.serve(stop, drain)


def stop_on_signals(stop: threading.Event) -> None:
    # The handler only sets a flag: the loops poll it every half second, and anything more
    # (taking locks, closing sockets) could deadlock against the code it interrupted.
    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
