"""The unit tier runs without any server: every network connect is refused and recorded.

Refusing alone would not be enough, because the code under test turns connection errors into
503s and readiness answers that a test could still accept; so any attempt, caught or not,
fails the test that made it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

_NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NetworkGuard:
    """Replaces ``socket.socket.connect``/``connect_ex`` for IP sockets; Unix sockets pass."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def install(self, patch: pytest.MonkeyPatch) -> None:
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

        def connect(sock: socket.socket, address: Any) -> None:
            self._refuse(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self._refuse(sock, address)
            return real_connect_ex(sock, address)

        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)

    def _refuse(self, sock: socket.socket, address: Any) -> None:
        if sock.family in _NETWORK_FAMILIES:
            self.attempts.append(address)
            raise ConnectionRefusedError(f"the unit tier connects nowhere (tried {address})")


@pytest.fixture
def network_guard() -> Iterator[NetworkGuard]:
    # Per test, so that the patch is gone again when a wider run goes on to the integration
    # tests in the same session.
    guard = NetworkGuard()
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        yield guard


@pytest.fixture(autouse=True)
def _connects_nowhere(network_guard: NetworkGuard) -> Iterator[None]:
    network_guard.attempts.clear()
    yield
    assert not network_guard.attempts, f"a unit test tried to connect to {network_guard.attempts}"
