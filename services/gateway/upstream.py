"""Forwarding requests to inventory over keep-alive connections, one per gateway thread."""

from __future__ import annotations

import http.client
import logging
import select
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.gateway.config import UpstreamSettings
from services.gateway.deadline import Watchdog

log = logging.getLogger(__name__)

# Answers up to this size are read whole within the answer deadline, so that a late one is
# still a 504; longer or chunked ones (the whole movie list) are relayed as they arrive,
# holding one read's worth in memory instead of the whole answer.
BUFFERED_MAX = 256 * 1024
RELAY_CHUNK = 64 * 1024


class BadUpstream(Exception):
    """Inventory answered with something that is not an HTTP response: answer 502."""


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: http.client.HTTPMessage  # case-insensitive lookups, as HTTP headers need
    body: bytes
    stream: Iterator[bytes] | None = None
    """Set instead of `body` for answers relayed as they arrive."""


class InventoryClient:
    """Keeps one keep-alive connection per calling thread (waitress threads are long-lived).

    Plain http.client, not urllib3's pool: a thread never shares its connection, so a pool's
    locking, checks and response wrapping would be pure cost on every proxied request.
    """

    def __init__(self, settings: UpstreamSettings) -> None:
        url = urlsplit(settings.base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._https else 80)
        self._connect_timeout = settings.connect_timeout
        self._read_timeout = settings.read_timeout
        self._stream_timeout = settings.stream_timeout
        self._local = threading.local()
        # One watchdog thread per client (so per process), started on the first request.
        self._watchdog = Watchdog()
        self._open: set[http.client.HTTPConnection] = set()
        self._open_lock = threading.Lock()

    def request(
        self, method: str, path: str, *, headers: Mapping[str, str], body: bytes | None = None
    ) -> UpstreamResponse:
        conn = self._connection()
        try:
            return self._exchange(conn, method, path, headers, body)
        except BaseException:
            self._discard(conn)  # its state is unknown: never reuse it
            raise

    def ping(self) -> None:
        response = self.request("GET", "/healthz", headers={})
        if response.status != 200:
            raise DependencyUnavailable(f"inventory /healthz answered {response.status}")

    def close(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            self._discard(conn)
        self._watchdog.close()

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> UpstreamResponse:
        try:
            conn.request(method, path, body=body, headers=headers)
            # The socket timeout bounds each read; the watchdog bounds the whole answer, so
            # an inventory that trickles one byte at a time still ends in a 504 on time.
            with self._watchdog.guard(conn.sock, self._read_timeout) as late:
                try:
                    response = conn.getresponse()
                    relay = response.length is None or response.length > BUFFERED_MAX
                    data = b"" if relay else response.read()
                except (http.client.HTTPException, OSError):
                    if late.is_set():  # the cut shows as a reset or a short answer
                        raise TimeoutError("no complete answer in time") from None
                    raise
        except TimeoutError as error:
            raise DependencyTimeout("inventory did not answer in time") from error
        except (http.client.HTTPException, OSError) as error:
            raise BadUpstream("inventory sent a broken response") from error
        if relay:
            return UpstreamResponse(response.status, response.msg, b"", self._relay(conn, response))
        if response.will_close:
            self._discard(conn)
        return UpstreamResponse(response.status, response.msg, data)

    def _relay(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> Iterator[bytes]:
        """The answer's body in chunks, within the stream deadline. Runs on the thread that
        made the request (waitress iterates a response on its worker thread), so the thread's
        connection is free again, or discarded, once the client has the whole answer."""
        complete = False
        try:
            with self._watchdog.guard(conn.sock, self._stream_timeout):
                while chunk := response.read(RELAY_CHUNK):
                    yield chunk
            complete = True
        except (http.client.HTTPException, OSError) as error:
            # The status line is gone already: all that is left is to cut the client off too.
            log.warning("inventory's answer broke off while relayed: %r", error)
            raise
        finally:
            if not complete or response.will_close:
                self._discard(conn)

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and not _dropped(conn):
            return conn
        if conn is not None:
            self._discard(conn)
        conn = self._connect()
        self._local.conn = conn
        return conn

    def _connect(self) -> http.client.HTTPConnection:
        factory = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = factory(self._host, self._port, timeout=self._connect_timeout)
        try:
            conn.connect()
        except TimeoutError as error:
            raise DependencyTimeout("inventory did not answer in time") from error
        except OSError as error:
            raise DependencyUnavailable("inventory is unavailable") from error
        conn.sock.settimeout(self._read_timeout)
        with self._open_lock:
            self._open.add(conn)
        return conn

    def _discard(self, conn: http.client.HTTPConnection) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._open_lock:
            self._open.discard(conn)
        conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive socket that is readable was closed (or spoken to) by inventory."""
    if conn.sock is None:
        return True
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))
