"""One address in front of several nodes, as a Kubernetes Service is in front of its pods."""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass

from kombu import Connection

from faults.tcp_proxy import TcpProxy
from faults.vhost import Vhost


class ServiceRelay(TcpProxy):
    """Each new connection goes to the next node that accepts one, round robin; a node that
    died refuses, so new connections reach only live nodes, and the connections it held are
    reset, as they are when a pod dies behind a Service."""

    def __init__(self, upstreams: list[tuple[str, int]]) -> None:
        super().__init__(upstreams[0])
        self._upstreams = list(upstreams)
        self._turn = itertools.count()  # used by the accepting thread only

    def _dial(self) -> socket.socket:
        failure: OSError = ConnectionRefusedError("no upstream")
        for _ in self._upstreams:
            upstream = self._upstreams[next(self._turn) % len(self._upstreams)]
            try:
                return socket.create_connection(upstream, timeout=2)
            except OSError as error:
                failure = error
        raise failure


@dataclass(frozen=True)
class RelayedVhost(Vhost):
    """A vhost of a broker of the scenario's own, reached through its relay; it goes with
    that broker, so there is nothing to delete."""

    port: int = 0

    def connect(self) -> Connection:
        return Connection(
            hostname="127.0.0.1", port=self.port, userid="guest", password="guest",
            virtual_host=self.name, connect_timeout=5,
        )  # fmt: skip

    def delete(self) -> None:
        return None
