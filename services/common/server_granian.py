"""granian, embedded: hyper (Rust) accepts connections and parses HTTP on its own threads, and
the app runs on a pool of Python threads, all in this process.

granian's public entry points run the app in child processes; embedded, the service keeps one
process (its signals, its dependencies, billing's consumer beside HTTP), so this module drives
granian's worker directly. Those are internal names: pyproject pins granian to one minor
release and tests/services/common/test_server_granian.py checks the behaviour relied on here.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any, cast

from granian._futures import _new_cbscheduler
from granian._granian import ListenerSpec, WorkerSignal, WSGIWorker
from granian._loops import loops
from granian.http import HTTP1Settings
from granian.wsgi import Response, ResponseIterWrap
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from services.common.queue_depth import BusySummary
from services.common.server import ServerSettings

log = logging.getLogger("services.common.server")

BACKLOG = 2048
# Rust threads for sockets and HTTP parsing: one keeps up with the Python threads here.
RUNTIME_THREADS = 1
RUNTIME_BLOCKING_THREADS = 512  # granian's default; started only when needed
IDLE_THREAD_SECONDS = 30
# A client has this long to send a request's headers; keep-alive connections stay open.
HEADER_READ_MS = 30_000
# hyper's per-connection buffer limit (granian's default, named here to be seen).
BUFFER_BYTES = 417_792

_BASE_ENVIRON = {
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "granian",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


class ThreadUse:
    """Worker threads running a request now; a request that takes the last free one is a
    moment of saturation (the next ones wait), summarized once per interval."""

    def __init__(self, threads: int, summary: BusySummary) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self.summary = summary
        self.busy = 0

    def enter(self) -> None:
        with self._lock:
            self.busy += 1
            busy = self.busy
        if busy >= self._threads:
            self.summary.note(busy)

    def leave(self) -> None:
        with self._lock:
            self.busy -= 1


class ThreadUseCollector:
    def __init__(self, use: ThreadUse) -> None:
        self._use = use

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "server_threads_busy", "Worker threads running a request now.", value=self._use.busy
        )
        yield CounterMetricFamily(
            "server_threads_saturated",
            "Requests that took the last free worker thread (the next ones waited).",
            value=self._use.summary.total,
        )


class GranianServer:
    def __init__(
        self,
        app: Any,
        settings: ServerSettings,
        *,
        name: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._app = app
        self._settings = settings
        summary = BusySummary(
            settings.queue_log_seconds,
            logger=log,
            message="all worker threads busy",
            keys=("times", "threads"),
        )
        self._use = ThreadUse(settings.threads, summary)
        if registry is not None:
            registry.register(ThreadUseCollector(self._use))
        self._environ = {**_BASE_ENVIRON, "SERVER_SOFTWARE": f"granian ({name})"}
        try:
            self._socket = ListenerSpec(settings.host, settings.port, BACKLOG).build()
        except RuntimeError as error:  # granian reports bind errors so; waitress as OSError
            raise OSError(f"cannot listen on {settings.host}:{settings.port}: {error}") from None

    def serve(self, stop: threading.Event, drain: float) -> None:
        shutdown = WorkerSignal()
        finished = threading.Event()
        shutdown.add_cb(finished.set)
        loop = loops.get("asyncio")
        scheduler = _new_cbscheduler(loop, self._handle, impl_asyncio=True)
        self._worker().serve_mtr(scheduler, loop, shutdown)
        address = f"{self._settings.host}:{self._settings.port}"
        log.info("listening", extra={"address": address, "server": "granian"})
        while not stop.wait(0.5):
            self._use.summary.tick()
        shutdown.set()  # granian stops accepting; open connections finish what they started
        deadline = time.monotonic() + drain
        # granian calls back once its worker has stopped; returning before that let the
        # interpreter shut down under granian's threads, which aborted the process.
        finished.wait(drain)
        while self._use.busy and time.monotonic() < deadline:
            time.sleep(0.05)
        if not finished.is_set() or self._use.busy:
            log.warning("requests still running after the drain", extra={"busy": self._use.busy})
        self._use.summary.flush()
        log.info("stopped")

    def _worker(self) -> Any:
        http1 = HTTP1Settings(header_read_timeout=HEADER_READ_MS, max_buffer_size=BUFFER_BYTES)
        no_tls: tuple[Any, ...] = (False, None, None, None, "tls1.3", None, [], False)
        # cast: the stub granian ships lags the compiled signature (the IPC and metrics slots).
        return cast(Any, WSGIWorker)(
            1,  # worker id
            (None, self._socket),
            None,  # no IPC: there is no parent process to report metrics to
            RUNTIME_THREADS,
            RUNTIME_BLOCKING_THREADS,
            self._settings.threads,
            IDLE_THREAD_SECONDS,
            self._settings.connection_limit,  # requests in progress at once
            "1",  # HTTP/1.1 only, like waitress
            http1,
            None,  # no HTTP/2 settings
            None,  # no static files
            *no_tls,
            (None, None),  # no granian metrics: the services have their own
        )

    def _handle(self, proto: Any, scope: dict[str, Any]) -> int:
        """One request on one of granian's Python threads: the WSGI call, and the answer handed
        to granian whole (a list) or as it is produced (an iterator, sent with backpressure)."""
        start_response = Response()
        self._use.enter()
        try:
            body = self._app(self._environ | scope, start_response)
            if isinstance(body, list):
                proto.response_bytes(start_response.status, start_response.headers, b"".join(body))
            else:
                proto.response_iter(
                    start_response.status, start_response.headers, ResponseIterWrap(body)
                )
        finally:
            self._use.leave()
        return int(start_response.status)
