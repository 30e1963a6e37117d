"""A deadline on a whole answer from inventory, which urllib3 does not have.

urllib3's read timeout bounds each read from the socket, not the answer: its `Timeout`
documentation says so, "if a server streams one byte every fifteen seconds, a timeout of 20
seconds will not trigger". An inventory that trickles would hold a gateway thread for as long
as it likes. So one watchdog thread per process cuts the connection of an answer that is
late; the blocked read then fails at once, and the gateway answers 504.

A streamed answer is cut through urllib3's public `HTTPResponse.shutdown()`. Before the head
has arrived there is no response object yet, only the connection, and urllib3 offers no
public way to reach its socket: `DeadlineConnection.getresponse` takes it from `sock`, the
attribute that http.client's `HTTPConnection` (urllib3's base class) keeps it in. That is
this module's one use of an undocumented name; tests/services/gateway/
test_answer_deadline.py fails when an upgrade moves it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection

# How often the watchdog looks: a late answer is cut at most this much after its deadline.
TICK_SECONDS = 0.05

Cut = Callable[[], None]


class Deadline:
    """One answer's deadline; `late` is set once the watchdog has cut it."""

    def __init__(self, due: float) -> None:
        self.due = due
        self.cut: Cut | None = None
        self.late = False


class Watchdog:
    """Cuts what a calling thread is reading once its deadline passes, unless the thread
    finished first. One thread for the whole process: a `threading.Timer` per request would
    start an OS thread for every proxied request, which costs more than the proxying."""

    def __init__(self, tick: float = TICK_SECONDS) -> None:
        self._tick = tick
        self._armed: dict[int, Deadline] = {}  # by the id of the thread that waits
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    @contextlib.contextmanager
    def deadline(self, budget: float) -> Iterator[Deadline]:
        """Arms a deadline for this thread's reads; `attach` says what to cut."""
        armed = Deadline(time.monotonic() + budget)
        key = threading.get_ident()
        with self._lock:
            self._armed[key] = armed
            self._start_once()
        try:
            yield armed
        finally:
            with self._lock:
                self._armed.pop(key, None)

    def attach(self, cut: Cut) -> None:
        """What the watchdog cuts if this thread's armed deadline passes."""
        with self._lock:
            armed = self._armed.get(threading.get_ident())
            if armed is not None:
                armed.cut = cut

    def close(self) -> None:
        self._closed.set()

    def _start_once(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._closed.wait(self._tick):
            now = time.monotonic()
            # Cut under the lock: once deadline() has left, its connection is never touched.
            with self._lock:
                for key in [key for key, armed in self._armed.items() if armed.due <= now]:
                    armed = self._armed.pop(key)
                    armed.late = True
                    if armed.cut is not None:
                        with contextlib.suppress(OSError, ValueError, RuntimeError):
                            armed.cut()  # already closed or released: nothing left to cut


class _Attaching:
    """Tells the watchdog, before the head is read, how to cut this connection."""

    watchdog: Watchdog
    sock: socket.socket | None

    def getresponse(self) -> Any:
        sock = self.sock
        if sock is not None:
            self.watchdog.attach(lambda: sock.shutdown(socket.SHUT_RDWR))
        return super().getresponse()  # type: ignore[misc]


class DeadlineConnection(_Attaching, HTTPConnection):
    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog


class DeadlineHTTPSConnection(_Attaching, HTTPSConnection):
    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog
