"""Liveness and readiness: /healthz checks the process, /readyz whether it can do its own work.

Ready means this pod can do its own work: readiness fails only for the dependencies that work
needs (``checks``). The others a service talks to (``reports``) are named in the body with
their state but never fail it, so that a dependency that is away does not pull every replica
out of rotation at once for work that does not need it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

import falcon

log = logging.getLogger(__name__)

Check = Callable[[], None]
"""Returns when the dependency answers; raises anything otherwise."""

# The longest a reported-only check may hold the probe: a hung dependency must not make the
# probe time out, which would fail readiness for it after all.
REPORT_SECONDS = 1.0


class LivenessResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class ReadinessResource:
    def __init__(self, checks: Mapping[str, Check], reports: Mapping[str, Check]) -> None:
        self._checks = dict(checks)
        self._reports = dict(reports)
        # One thread per reported check, kept: a hung check delays only its own next answer,
        # and a check that keeps a connection per thread (the publisher's) keeps one.
        self._threads = {name: ThreadPoolExecutor(1, f"readyz-{name}") for name in reports}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        pending = {
            name: self._threads[name].submit(_run, name, check)
            for name, check in self._reports.items()
        }
        results = {name: _run(name, check) for name, check in self._checks.items()}
        ready = all(result == "ok" for result in results.values())
        wait(pending.values(), timeout=REPORT_SECONDS)
        results.update({name: _answer(future) for name, future in pending.items()})
        resp.status = falcon.HTTP_200 if ready else falcon.HTTP_503
        resp.media = {"status": "ok" if ready else "unavailable", "checks": results}


def _answer(future: Future[str]) -> str:
    if future.done():
        return future.result()
    return f"failed: no answer within {REPORT_SECONDS} s"


def _run(name: str, check: Check) -> str:
    try:
        check()
    except Exception as ex:
        log.info("readiness check %s failed: %s", name, ex)
        return f"failed: {type(ex).__name__}: {ex}"[:200]
    return "ok"


def add_probe_routes(
    app: falcon.App, checks: Mapping[str, Check], reports: Mapping[str, Check]
) -> None:
    """/metrics is not among them: it is served on METRICS_PORT only
    (services.common.metrics_server)."""
    app.add_route("/healthz", LivenessResource())
    app.add_route("/readyz", ReadinessResource(checks, reports))
