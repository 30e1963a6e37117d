"""Inventory made slow for real: a relay in front of the real inventory that can freeze,
and a peer that answers one byte at a time."""

from __future__ import annotations

import socket
import threading

from faults.misbehaving import Trickler
from faults.tcp_proxy import TcpProxy

__all__ = ["FreezableRelay", "Trickler"]

FREEZE_LIMIT_SECONDS = 120.0  # a frozen relay lets bytes through again after this, whatever


class FreezableRelay(TcpProxy):
    """Relays to the real inventory; while frozen, it takes bytes in and passes none on,
    like a process that accepts connections but is stuck (GC pause, hung database call)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(upstream)
        self._flowing = threading.Event()
        self._flowing.set()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        super()._pump(source, _Gate(sink, self._flowing))  # type: ignore[arg-type]


class _Gate:
    """The relay's outgoing side: holds every write while the relay is frozen."""

    def __init__(self, sink: socket.socket, flowing: threading.Event) -> None:
        self._sink = sink
        self._flowing = flowing

    def sendall(self, data: bytes) -> None:
        self._flowing.wait(FREEZE_LIMIT_SECONDS)
        self._sink.sendall(data)

    def shutdown(self, how: int) -> None:
        self._sink.shutdown(how)
