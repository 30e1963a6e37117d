"""The guard that keeps the unit tier server-free fails a test that reaches for a server."""

from __future__ import annotations

import pg8000.native
import pytest
from kombu import Connection

from services.common.broker import BROKER_ERRORS
from tests.unit.conftest import NetworkGuard


def _caught(network_guard: NetworkGuard) -> list[object]:
    caught = list(network_guard.attempts)
    network_guard.attempts.clear()  # this test made them on purpose
    return caught


def test_postgresql_is_out_of_reach(network_guard):
    with pytest.raises(pg8000.exceptions.InterfaceError):
        pg8000.native.Connection("postgres", host="127.0.0.1", port=5432, timeout=1)
    assert ("127.0.0.1", 5432) in _caught(network_guard)


def test_rabbitmq_is_out_of_reach(network_guard):
    connection = Connection("amqp://guest:guest@127.0.0.1:5672//", connect_timeout=1)
    with connection, pytest.raises(BROKER_ERRORS):
        connection.ensure_connection(max_retries=0)
    assert ("127.0.0.1", 5672) in _caught(network_guard)
