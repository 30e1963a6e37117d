"""The metrics listener: prometheus_client's own server on METRICS_PORT, bound at start."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import CollectorRegistry

from services.common.config import ConfigError, Reader
from services.common.metrics_server import MetricsPortTaken, MetricsServer, MetricsSettings
from services.inventory.config import ENVIRONMENT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(**env: str) -> MetricsSettings:
    return MetricsSettings.from_env(Reader.of(env, ENVIRONMENT))


def test_the_default_port_is_9100_on_the_service_host():
    assert settings() == MetricsSettings(host="0.0.0.0", port=9100)
    assert settings(HOST="127.0.0.1", METRICS_PORT="9200").port == 9200


def test_the_metrics_port_must_differ_from_the_public_one():
    with pytest.raises(ConfigError, match="METRICS_PORT must differ from PORT, both are 8080"):
        settings(METRICS_PORT="8080")


def test_a_taken_port_is_one_line_naming_it():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(MetricsPortTaken) as raised:
            MetricsServer(CollectorRegistry(), MetricsSettings("127.0.0.1", port))
    assert str(raised.value) == (
        f"cannot listen on METRICS_PORT 127.0.0.1:{port}: Address already in use"
    )
