"""The service processes themselves: start-up errors, clean SIGTERM, memory when idle."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.harness.process import ROOT, ServiceProcess

REQUIRED = {
    "gateway": ["RABBITMQ_USER", "RABBITMQ_PASSWORD"],
    "inventory": ["INVENTORY_DB_USER", "INVENTORY_DB_PASSWORD"],
    "billing": ["BILLING_DB_USER", "BILLING_DB_PASSWORD", "RABBITMQ_USER", "RABBITMQ_PASSWORD"],
}


def run_without(service: str, missing: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RABBITMQ_", "INVENTORY_", "BILLING_"))
    }
    clean.update(env)
    clean.pop(missing, None)
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(("service", "missing"), [(s, v) for s, vs in REQUIRED.items() for v in vs])
def test_missing_required_variable_is_one_clear_line(service, missing):
    env = {name: "x" for names in REQUIRED.values() for name in names}
    result = run_without(service, missing, env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"{service}: missing required environment variable {missing}"
    assert "Traceback" not in result.stderr + result.stdout


def test_malformed_port_is_named():
    env = {name: "x" for names in REQUIRED.values() for name in names} | {"PORT": "eighty"}
    result = run_without("inventory", "NOTHING", env)
    assert result.returncode == 2
    assert "PORT must be an integer" in result.stderr


def test_a_taken_metrics_port_is_one_clear_line(stack, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        gateway = ServiceProcess(
            "gateway", dict(stack.gateway.env), tmp_path / "gateway.log", metrics_port=taken
        )
        assert gateway.spawn().wait(timeout=30) == 2
    assert gateway.logs().splitlines()[-1] == (
        f"gateway: cannot listen on METRICS_PORT 127.0.0.1:{taken}: Address already in use"
    )
    assert "Traceback" not in gateway.logs()


def test_sigterm_exits_cleanly_and_promptly(stack):
    for service in (stack.gateway, stack.inventory, stack.billing):
        started = time.monotonic()
        assert service.stop() == 0, service.tail()
        assert time.monotonic() - started < 5
        assert '"msg":"stopped"' in service.logs() or "consumer stopped" in service.logs()
    stack.inventory.start(wait_for="/readyz")
    stack.billing.start(wait_for="/readyz")
    stack.gateway.start(wait_for="/readyz")


def test_each_service_stays_under_60_mib_when_idle(stack):
    requests.get(stack.gateway.url + "/api/movies", timeout=5)
    requests.post(
        stack.gateway.url + "/api/billing",
        timeout=5,
        json={"user_id": 1, "number_of_items": 1, "total_amount": 1},
    )
    time.sleep(0.5)
    for service in (stack.gateway, stack.inventory, stack.billing):
        assert service.rss_mib() < 60, f"{service.name}: {service.rss_mib():.1f} MiB"
