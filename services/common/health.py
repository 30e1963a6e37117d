"""Liveness and readiness: /healthz checks the process, /readyz checks its dependencies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import falcon

log = logging.getLogger(__name__)

Check = Callable[[], None]
"""Returns when the dependency answers; raises anything otherwise."""


class LivenessResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class ReadinessResource:
    def __init__(self, checks: Mapping[str, Check]) -> None:
        self._checks = dict(checks)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results = {name: _run(name, check) for name, check in self._checks.items()}
        ready = all(result == "ok" for result in results.values())
        resp.status = falcon.HTTP_200 if ready else falcon.HTTP_503
        resp.media = {"status": "ok" if ready else "unavailable", "checks": results}


def _run(name: str, check: Check) -> str:
    try:
        check()
    except Exception as ex:
        log.info("readiness check %s failed: %s", name, ex)
        return f"failed: {type(ex).__name__}: {ex}"[:200]
    return "ok"


def add_probe_routes(app: falcon.App, checks: Mapping[str, Check]) -> None:
    """/metrics is not among them: it is served on METRICS_PORT only
    (services.common.metrics_server)."""
    app.add_route("/healthz", LivenessResource())
    app.add_route("/readyz", ReadinessResource(checks))
