"""Cross-cutting request handling: request ids, access logs and request metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import falcon

from services.common.logs import log_line
from services.common.metrics import HttpMetrics

REQUEST_ID_HEADER = "X-Request-ID"
# Ids come from clients: accept only short, printable tokens so logs cannot be forged.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz"})

log = logging.getLogger("access")


def new_request_id() -> str:
    return uuid.uuid4().hex


def is_valid_token(value: str) -> bool:
    return bool(_VALID_ID.match(value))


def accept_request_id(value: str | None) -> str:
    if value and _VALID_ID.match(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    """Reuses the caller's X-Request-ID or makes one, and echoes it on the response."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.request_id = accept_request_id(req.get_header(REQUEST_ID_HEADER))
        req.context.started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header(REQUEST_ID_HEADER, req.context.request_id)


class AccessLogMiddleware:
    """One log line and one metrics observation per request."""

    def __init__(self, metrics: HttpMetrics) -> None:
        self._metrics = metrics

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        elapsed = time.perf_counter() - req.context.started
        route = req.uri_template or "unmatched"
        status = resp.status_code
        self._metrics.observe(req.method, route, status, elapsed)
        level = logging.DEBUG if req.path in _QUIET_PATHS else logging.INFO
        if log.isEnabledFor(level):
            fields = {
                "request_id": req.context.request_id,
                "method": req.method,
                "path": req.path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                # What a resource wants on its request's line (an order's message id).
                **getattr(req.context, "log_fields", {}),
            }
            log_line(log, level, "request", fields)
