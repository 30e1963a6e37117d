"""The HTTP/1.1 the gateway speaks to inventory: one request out, one answer in, on a keep-alive
socket.

http.client parses every answer's headers with the email package; on the proxy path that was a
fifth of the gateway's CPU per request (py-spy). Inventory answers with a status line, a few
headers and a body framed by Content-Length or chunked: this reads exactly that, and anything
else is a BrokenAnswer (the gateway's 502).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
READ_SIZE = 64 * 1024
_NO_BODY = frozenset({204, 304})


class BrokenAnswer(ConnectionError):
    """What came back is not an HTTP/1.1 answer the gateway can relay: as good as a broken
    connection, and handled as one."""


@dataclass(frozen=True)
class Head:
    status: int
    headers: Mapping[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    length: int | None
    """Content-Length; None when the body is chunked or runs until the socket closes."""
    chunked: bool
    will_close: bool


class Connection:
    """One socket to inventory, with the bytes read past the current answer."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self.sock = sock
        self._host = host.encode("ascii")
        self._buffer = bytearray()

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> None:
        lines = [f"{method} {target} HTTP/1.1".encode("latin-1"), b"Host: " + self._host]
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers.items()]
        if body is not None:
            lines.append(b"Content-Length: %d" % len(body))
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))

    def read_head(self, method: str) -> Head:
        while True:
            head = self._parse_head(self._until(b"\r\n\r\n", MAX_HEAD), method)
            if not 100 <= head.status < 200:  # an interim 1xx precedes the real answer
                return head

    def read_body(self, head: Head) -> bytes:
        return b"".join(self.body_chunks(head))

    def body_chunks(self, head: Head) -> Iterator[bytes]:
        if head.chunked:
            yield from self._chunked()
        elif head.length is not None:
            yield from self._exactly(head.length)
        else:
            yield from self._until_closed()

    def close(self) -> None:
        self.sock.close()

    def _parse_head(self, raw: bytes, method: str) -> Head:
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise BrokenAnswer(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise BrokenAnswer(f"malformed header line: {line[:80]!r}")
            headers[name.lower()] = value.strip()
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = None if chunked else _content_length(headers)
        if status in _NO_BODY or method == "HEAD" or 100 <= status < 200:
            chunked, length = False, 0
        close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        return Head(status, headers, length, chunked, close or (length is None and not chunked))

    def _fill(self) -> bool:
        data = self.sock.recv(READ_SIZE)
        self._buffer += data
        return bool(data)

    def _until(self, marker: bytes, limit: int) -> bytes:
        """The bytes before `marker` (which is consumed too)."""
        start = 0
        while (end := self._buffer.find(marker, start)) < 0:
            if len(self._buffer) > limit:
                raise BrokenAnswer(f"no {marker!r} within {limit} bytes")
            start = max(0, len(self._buffer) - len(marker) + 1)
            if not self._fill():
                raise BrokenAnswer("the connection closed mid-answer")
        found = bytes(self._buffer[:end])
        del self._buffer[: end + len(marker)]
        return found

    def _take(self, size: int) -> bytes:
        """At most `size` bytes, reading only when nothing is buffered."""
        if not self._buffer and not self._fill():
            raise BrokenAnswer("the connection closed mid-answer")
        piece = bytes(self._buffer[:size])
        del self._buffer[:size]
        return piece

    def _exactly(self, size: int) -> Iterator[bytes]:
        while size > 0:
            piece = self._take(min(size, READ_SIZE))
            size -= len(piece)
            yield piece

    def _chunked(self) -> Iterator[bytes]:
        while True:
            size_line = self._until(b"\r\n", 1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BrokenAnswer(f"bad chunk size {size_line[:20]!r}") from None
            if size == 0:
                while self._until(b"\r\n", MAX_HEAD):  # trailers, up to the empty line
                    pass
                return
            yield from self._exactly(size)
            if self._until(b"\r\n", 2):
                raise BrokenAnswer("a chunk is longer than its size says")

    def _until_closed(self) -> Iterator[bytes]:
        while self._buffer or self._fill():
            piece = bytes(self._buffer)
            self._buffer.clear()
            yield piece


def _content_length(headers: Mapping[str, str]) -> int | None:
    raw = headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise BrokenAnswer(f"bad Content-Length {raw[:20]!r}")
    return int(raw)
