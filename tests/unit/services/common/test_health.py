"""Readiness: only the checks a service's own work needs fail it; the rest are reported."""

from __future__ import annotations

import threading
import time

from falcon import testing
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.health import REPORT_SECONDS


def ok() -> None:
    return None


def down() -> None:
    raise ConnectionRefusedError("refused")


def probe(checks, reports) -> testing.Result:
    app = new_app(registry=CollectorRegistry(), checks=checks, reports=reports)
    return testing.TestClient(app).simulate_get("/readyz")


def test_a_failing_check_fails_readiness_and_is_named():
    answer = probe({"database": down}, {"broker": ok})
    assert answer.status_code == 503
    assert answer.json == {
        "status": "unavailable",
        "checks": {"database": "failed: ConnectionRefusedError: refused", "broker": "ok"},
    }


def test_a_failing_report_is_shown_but_does_not_fail_readiness():
    answer = probe({"database": ok}, {"broker": down})
    assert answer.status_code == 200
    assert answer.json["checks"] == {
        "database": "ok",
        "broker": "failed: ConnectionRefusedError: refused",
    }


def test_a_hung_report_is_answered_within_its_budget():
    release = threading.Event()
    try:
        started = time.monotonic()
        answer = probe({}, {"inventory": release.wait, "broker": ok})
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert answer.status_code == 200
    assert answer.json["checks"] == {
        "inventory": f"failed: no answer within {REPORT_SECONDS} s",
        "broker": "ok",
    }
    assert REPORT_SECONDS <= elapsed < REPORT_SECONDS + 0.5
