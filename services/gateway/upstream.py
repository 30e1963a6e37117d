"""Forwarding requests to inventory through urllib3's connection pool: keep-alive connections
(as many as the gateway has threads), connect and read timeouts, and a deadline on each whole
answer (services.gateway.answer_deadline)."""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import HTTPResponse
from urllib3.util import SKIP_HEADER, Timeout, parse_url

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.gateway.answer_deadline import (
    Deadline,
    DeadlineConnection,
    DeadlineHTTPSConnection,
    Watchdog,
)
from services.gateway.config import UpstreamSettings

log = logging.getLogger(__name__)

# Answers up to this size are read whole within the answer deadline, so that a late one is
# still a 504; longer or chunked ones (the whole movie list) are relayed as they arrive,
# holding one read's worth in memory instead of the whole answer.
BUFFERED_MAX = 256 * 1024
READ_SIZE = 64 * 1024
# A kept-alive connection that inventory closed while it was idle fails the moment it is
# reused; these requests can go again on a fresh one, the others cannot (they may have run).
SAFE_TO_RESEND = frozenset({"GET", "HEAD"})
# Headers urllib3 and http.client add on their own unless told not to: inventory needs
# neither, and each costs the gateway a header line to write on every request.
_UNSENT = {"User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER}
# http.client refuses a target with control characters or spaces in it; those are
# percent-encoded, everything else goes to inventory as the client sent it.
_TARGET_SAFE = string.punctuation


class BadUpstream(Exception):
    """Inventory answered with something that is not an HTTP response: answer 502."""


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    stream: Iterator[bytes] | None = None
    """Set instead of `body` for answers relayed as they arrive."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = DeadlineConnection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


class InventoryClient:
    def __init__(self, settings: UpstreamSettings, *, pool_size: int) -> None:
        url = parse_url(settings.base_url)
        self._watchdog = Watchdog()
        pool = _TlsPool if url.scheme == "https" else _Pool
        self._pool = pool(
            url.host or "localhost",
            url.port,
            timeout=Timeout(connect=settings.connect_timeout, read=settings.read_timeout),
            maxsize=pool_size,
            retries=False,
            watchdog=self._watchdog,
        )
        self._read_timeout = settings.read_timeout
        self._stream_timeout = settings.stream_timeout

    def request(
        self, method: str, path: str, *, headers: Mapping[str, str], body: bytes | None = None
    ) -> UpstreamResponse:
        target = quote(path, safe=_TARGET_SAFE, encoding="latin-1")
        with self._watchdog.deadline(self._read_timeout) as deadline:
            try:
                response = self._send(deadline, method, target, headers, body)
                if _relayed(response):
                    return UpstreamResponse(
                        response.status, response.headers, b"", self._relay(response)
                    )
                data = response.read(decode_content=False)
                response.release_conn()
            except NewConnectionError as error:
                raise DependencyUnavailable("inventory is unavailable") from error
            except (ConnectTimeoutError, ReadTimeoutError) as error:
                raise DependencyTimeout("inventory did not answer in time") from error
            except (HTTPError, OSError, ValueError) as error:
                if deadline.late:  # the cut shows as a reset or a short answer
                    raise DependencyTimeout("inventory did not answer in time") from error
                raise BadUpstream("inventory sent a broken response") from error
        return UpstreamResponse(response.status, response.headers, data)

    def ping(self) -> None:
        response = self.request("GET", "/healthz", headers={})
        if response.status != 200:
            raise DependencyUnavailable(f"inventory /healthz answered {response.status}")

    def close(self) -> None:
        self._pool.close()
        self._watchdog.close()

    def _send(
        self,
        deadline: Deadline,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> HTTPResponse:
        try:
            return self._urlopen(method, target, headers, body)
        except ProtocolError:
            if method not in SAFE_TO_RESEND or deadline.late:
                raise
            return self._urlopen(method, target, headers, body)

    def _urlopen(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> HTTPResponse:
        response = self._pool.urlopen(
            method,
            target,
            body=body,
            headers={**headers, **_UNSENT},
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
        assert isinstance(response, HTTPResponse)  # what the pool's connections return
        return response

    def _relay(self, response: HTTPResponse) -> Iterator[bytes]:
        """The answer's body in chunks, within the stream deadline. Runs on the thread that
        made the request (the server iterates a response on its worker thread), so the
        connection goes back to the pool, or is closed, once the client has the answer."""
        complete = False
        try:
            with self._watchdog.deadline(self._stream_timeout):
                self._watchdog.attach(response.shutdown)
                yield from response.stream(READ_SIZE, decode_content=False)
            complete = True
        except (HTTPError, OSError) as error:
            # The status line is gone already: all that is left is to cut the client off too.
            log.warning("inventory's answer broke off while relayed: %r", error)
            raise ConnectionError("inventory's answer broke off") from error
        finally:
            if not complete:
                response.close()  # mid-answer: never reused
            response.release_conn()


def _relayed(response: HTTPResponse) -> bool:
    length = response.headers.get("content-length")
    return length is None or not length.isdigit() or int(length) > BUFFERED_MAX
