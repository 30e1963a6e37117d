"""waitress: its event loop on the calling thread, the app on its worker threads."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry
from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from services.common.queue_depth import QueueDepthCollector, QueueDepthLog
from services.common.server import ServerSettings

log = logging.getLogger("services.common.server")

# Waitress itself rejects bodies above this (with a plain-text 413); the apps enforce their
# own, much smaller JSON-answered limits below it.
HARD_BODY_LIMIT = 64 * 1024 * 1024
# Bytes of an answer waitress holds for a client before the worker thread producing it waits
# (its default is 16 MiB, spilled to temporary files past 1 MiB): a streamed movie list then
# costs each slow client ~1 MiB, not its whole length.
OUTPUT_BUFFER = 1024 * 1024


class WaitressServer:
    def __init__(
        self,
        app: Any,
        settings: ServerSettings,
        *,
        name: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._server: BaseWSGIServer = create_server(
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
        dispatcher = self._server.task_dispatcher
        self._depth_log = QueueDepthLog(settings.queue_log_seconds)
        dispatcher.queue_logger = self._depth_log  # this server's dispatcher, not the class's
        if registry is not None:
            registry.register(QueueDepthCollector(dispatcher.queue, self._depth_log))

    def serve(self, stop: threading.Event, drain: float) -> None:
        """waitress's own `run()` stops its event loop on SIGTERM, which would strand answers
        that workers are still writing; draining first lets a rolling update drop no request."""
        server = self._server
        address = f"{server.effective_host}:{server.effective_port}"
        log.info("listening", extra={"address": address, "server": "waitress"})
        while not stop.is_set():
            server.asyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)
            self._depth_log.tick()
        server.del_channel()
        server.socket.close()
        deadline = time.monotonic() + drain
        while self._busy() and time.monotonic() < deadline:
            server.asyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
        server.asyncore.close_all(server._map)
        self._depth_log.flush()
        log.info("stopped")

    def _busy(self) -> bool:
        dispatcher = self._server.task_dispatcher
        if dispatcher.active_count or dispatcher.queue:
            return True
        return any(
            isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len)
            for ch in list(self._server._map.values())
        )
