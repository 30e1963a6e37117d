"""Misbehaving network peers: real sockets that refuse, hang or talk nonsense."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.harness.process import free_port


def refused_port() -> int:
    """A port with nothing listening: connecting is refused at once."""
    return free_port()


class Listener:
    """Accepts connections and hands each to `handle` on its own thread."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, client: socket.socket) -> None:
        """Default: say nothing, ever (a hung upstream)."""

    def close(self) -> None:
        self._sock.close()
        for client in self._clients:
            with contextlib.suppress(OSError):
                client.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self._clients.append(client)
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()


class HungListener(Listener):
    pass


class GarbageServer(Listener):
    """Reads the request, answers with bytes that are not HTTP, and hangs up."""

    def handle(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            client.recv(65536)
            client.sendall(b"this is not HTTP at all\r\n\r\n")
            client.close()


class Trickler(Listener):
    """Reads the request, then sends a valid response one byte every `gap` seconds: each
    byte arrives well within a read timeout, the whole answer never does."""

    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"

    def __init__(self, gap: float = 0.25) -> None:
        self._gap = gap
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            client.recv(65536)
            for byte in self.RESPONSE:  # bounded: a few dozen bytes
                client.sendall(bytes([byte]))
                time.sleep(self._gap)
            client.close()


class StallingStream(Listener):
    """Reads the request, sends the head and a first chunk of a chunked answer, then falls
    silent with the connection open: an upstream that broke off in the middle of a list."""

    HEAD = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    FIRST = b"[1,2,3"

    def handle(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            client.recv(65536)
            client.sendall(self.HEAD + b"%x\r\n%s\r\n" % (len(self.FIRST), self.FIRST))
