"""Cutting sockets whose answer is late, from one watchdog thread shared by every request."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

# How often the watchdog looks: a late answer is cut at most this much after its deadline.
TICK_SECONDS = 0.05


class Watchdog:
    """Shuts a socket down once its deadline passes, unless the caller finished first.

    One thread for the whole process: a threading.Timer per request would start an OS
    thread for every proxied request, and that start-up costs more than the proxying itself.
    """

    def __init__(self, tick: float = TICK_SECONDS) -> None:
        self._tick = tick
        self._armed: dict[int, tuple[float, socket.socket, threading.Event]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    @contextlib.contextmanager
    def guard(self, sock: socket.socket, budget: float) -> Iterator[threading.Event]:
        """Yields an event that is set if the socket was cut for being late."""
        late = threading.Event()
        key = id(late)
        with self._lock:
            self._armed[key] = (time.monotonic() + budget, sock, late)
            self._start_once()
        try:
            yield late
        finally:
            with self._lock:
                self._armed.pop(key, None)

    def close(self) -> None:
        self._closed.set()

    def _start_once(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._closed.wait(self._tick):
            now = time.monotonic()
            # Cut under the lock: once guard() has left, its socket is never touched again.
            with self._lock:
                due = [key for key, (deadline, _, _) in self._armed.items() if deadline <= now]
                for key in due:
                    _, sock, late = self._armed.pop(key)
                    late.set()
                    _cut(sock)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to cut
        sock.shutdown(socket.SHUT_RDWR)
