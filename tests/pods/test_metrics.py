"""Where the pods harness looks for each app's metrics port in the rendered spec."""

from __future__ import annotations

from tests.pods.metrics import metrics_port

SOURCES = {("configMapKeyRef", "app-config", "METRICS_PORT"): "9300"}


def test_a_container_port_named_metrics_wins():
    container = {
        "ports": [
            {"name": "http", "containerPort": 3000},
            {"name": "metrics", "containerPort": 9200},
        ],
        "env": [{"name": "METRICS_PORT", "value": "9400"}],
    }
    assert metrics_port(container, SOURCES) == 9200


def test_else_the_metrics_port_the_env_sets():
    assert metrics_port({"env": [{"name": "METRICS_PORT", "value": "9400"}]}, SOURCES) == 9400
    from_config = {
        "name": "METRICS_PORT",
        "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "METRICS_PORT"}},
    }
    assert metrics_port({"env": [from_config]}, SOURCES) == 9300


def test_else_the_services_default():
    assert metrics_port({"ports": [{"name": "http", "containerPort": 3000}], "env": []}, {}) == 9100
