"""Forwarding requests to inventory over keep-alive connections, one per gateway thread."""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.gateway.config import UpstreamSettings
from services.gateway.deadline import Watchdog
from services.gateway.http1 import Connection, Head

log = logging.getLogger(__name__)

# Answers up to this size are read whole within the answer deadline, so that a late one is
# still a 504; longer or chunked ones (the whole movie list) are relayed as they arrive,
# holding one read's worth in memory instead of the whole answer.
BUFFERED_MAX = 256 * 1024


class BadUpstream(Exception):
    """Inventory answered with something that is not an HTTP response: answer 502."""


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    stream: Iterator[bytes] | None = None
    """Set instead of `body` for answers relayed as they arrive."""


class InventoryClient:
    """Keeps one keep-alive connection per calling thread (the server's threads are long-lived).

    A thread never shares its connection, so a pool's locking, checks and response wrapping
    would be pure cost on every proxied request.
    """

    def __init__(self, settings: UpstreamSettings) -> None:
        url = urlsplit(settings.base_url)
        self._tls = ssl.create_default_context() if url.scheme == "https" else None
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._tls else 80)
        self._host_header = url.netloc
        self._connect_timeout = settings.connect_timeout
        self._read_timeout = settings.read_timeout
        self._stream_timeout = settings.stream_timeout
        self._local = threading.local()
        # One watchdog thread per client (so per process), started on the first request.
        self._watchdog = Watchdog()
        self._open: set[Connection] = set()
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
        conn: Connection,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> UpstreamResponse:
        try:
            conn.send(method, path, headers, body)
            # The socket timeout bounds each read; the watchdog bounds the whole answer, so
            # an inventory that trickles one byte at a time still ends in a 504 on time.
            with self._watchdog.guard(conn.sock, self._read_timeout) as late:
                try:
                    head = conn.read_head(method)
                    relay = head.length is None or head.length > BUFFERED_MAX
                    data = b"" if relay else conn.read_body(head)
                except OSError:  # BrokenAnswer included
                    if late.is_set():  # the cut shows as a reset or a short answer
                        raise TimeoutError("no complete answer in time") from None
                    raise
        except TimeoutError as error:
            raise DependencyTimeout("inventory did not answer in time") from error
        except OSError as error:
            raise BadUpstream("inventory sent a broken response") from error
        if relay:
            return UpstreamResponse(head.status, head.headers, b"", self._relay(conn, head))
        if head.will_close:
            self._discard(conn)
        return UpstreamResponse(head.status, head.headers, data)

    def _relay(self, conn: Connection, head: Head) -> Iterator[bytes]:
        """The answer's body in chunks, within the stream deadline. Runs on the thread that
        made the request (the server iterates a response on its worker thread), so the
        thread's connection is free again, or discarded, once the client has the whole answer."""
        complete = False
        try:
            with self._watchdog.guard(conn.sock, self._stream_timeout):
                yield from conn.body_chunks(head)
            complete = True
        except OSError as error:
            # The status line is gone already: all that is left is to cut the client off too.
            log.warning("inventory's answer broke off while relayed: %r", error)
            raise
        finally:
            if not complete or head.will_close:
                self._discard(conn)

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not _dropped(conn.sock):
            return conn
        if conn is not None:
            self._discard(conn)
        conn = self._connect()
        self._local.conn = conn
        return conn

    def _connect(self) -> Connection:
        try:
            sock = socket.create_connection((self._host, self._port), self._connect_timeout)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._host)
        except TimeoutError as error:
            raise DependencyTimeout("inventory did not answer in time") from error
        except OSError as error:
            raise DependencyUnavailable("inventory is unavailable") from error
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self._read_timeout)
        conn = Connection(sock, self._host_header)
        with self._open_lock:
            self._open.add(conn)
        return conn

    def _discard(self, conn: Connection) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._open_lock:
            self._open.discard(conn)
        conn.close()


def _dropped(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable was closed (or spoken to) by inventory."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
