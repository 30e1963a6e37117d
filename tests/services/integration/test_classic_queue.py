"""An installation from before the quorum queue: a classic billing_queue is already there."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from faults.vhost import Vhost
from tests.harness.backends import MQ_HOST, MQ_PASSWORD, MQ_PORT, MQ_USER, PG_PORT
from tests.harness.process import ROOT, free_port


@pytest.fixture(scope="module")
def classic_vhost() -> Iterator[Vhost]:
    """A vhost holding `billing_queue` as the earlier versions declared it: classic, durable."""
    vhost = Vhost.create()
    with vhost.connect() as conn:
        conn.default_channel.queue_declare("billing_queue", durable=True, auto_delete=False)
    yield vhost
    vhost.delete()


@pytest.mark.parametrize("service", ["gateway", "billing"])
def test_a_classic_queue_stops_the_service_with_one_line_saying_what_to_do(classic_vhost, service):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "BILLING_"))} | {
        "PYTHONPATH": str(ROOT),
        "PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "RABBITMQ_HOST": MQ_HOST,
        "RABBITMQ_PORT": str(MQ_PORT),
        "RABBITMQ_USER": MQ_USER,
        "RABBITMQ_PASSWORD": MQ_PASSWORD,
        "RABBITMQ_VHOST": classic_vhost.name,
        "BILLING_DB_PORT": str(PG_PORT),
        "BILLING_DB_USER": "postgres",
        "BILLING_DB_PASSWORD": "unused",
    }
    done = subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{service}: queue 'billing_queue' in vhost ")
    assert "PRECONDITION_FAILED - inequivalent arg" in lines[0]
    for advice in ("drain", "delete_queue", "RABBITMQ_VHOST"):
        assert advice in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
