"""Serving a service's WSGI app until SIGTERM, then draining: the settings, the choice of HTTP
server and the signal handling that every service shares.

Two servers, one behaviour: waitress (the default) and granian embedded in the process (its
HTTP handling is Rust; see docs/performance.md for what that buys). Both bind at build time,
run the app on `threads` Python threads, stop accepting on `stop`, let in-flight requests
finish for up to `drain` seconds, and log a summary line per interval when busy instead of a
line per request.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

from prometheus_client import CollectorRegistry

from services.common.config import Reader

log = logging.getLogger(__name__)

SERVERS = ("waitress", "granian")


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    threads: int = 8
    connection_limit: int = 1000
    drain_seconds: float = 10.0
    queue_log_seconds: float = 10.0
    server: str = "waitress"

    @classmethod
    def from_env(cls, env: Reader, *, drain_seconds: float = 10.0) -> ServerSettings:
        """HOST, PORT, HTTP_SERVER and THREADS, with this service's declared defaults."""
        return cls(
            host=env.text("HOST"),
            port=env.integer("PORT", minimum=1),
            threads=env.integer("THREADS", minimum=1),
            drain_seconds=drain_seconds,
            queue_log_seconds=env.number("QUEUE_LOG_SECONDS"),
            server=env.choice("HTTP_SERVER", SERVERS),
        )


class Server(Protocol):
    def serve(self, stop: threading.Event, drain: float) -> None:
        """Serves until `stop`, then stops accepting and gives in-flight requests `drain`
        seconds to finish."""


def build_server(
    app: Any, settings: ServerSettings, *, name: str, registry: CollectorRegistry | None = None
) -> Server:
    """The configured server, already bound to its port (a taken port fails here, at start)."""
    if settings.server == "granian":
        from services.common.server_granian import GranianServer  # loads Rust code: only if used

        return GranianServer(app, settings, name=name, registry=registry)
    from services.common.server_waitress import WaitressServer

    return WaitressServer(app, settings, name=name, registry=registry)


def serve_until_stopped(server: Server, stop: threading.Event, drain: float) -> None:
    server.serve(stop, drain)


def stop_on_signals(stop: threading.Event) -> None:
    # The handler only sets a flag: the loops poll it every half second, and anything more
    # (taking locks, closing sockets) could deadlock against the code it interrupted.
    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
