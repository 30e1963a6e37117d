"""Every error a client sees is Falcon's JSON shape; nothing leaks a traceback."""

from __future__ import annotations

import logging
from typing import Any

import falcon

log = logging.getLogger(__name__)


class DependencyUnavailable(Exception):
    """A backing service (database, broker, upstream) cannot serve right now: answer 503."""


class CannotStart(Exception):
    """The process cannot work as its dependencies stand; the message is the one line saying
    what to do. Restarting would not help, so it is not retried."""


class DependencyTimeout(Exception):
    """A backing service did not answer in time: answer 504."""


def serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    # Falcon would answer XML to a client that prefers it; the contract is JSON for everyone.
    resp.content_type = falcon.MEDIA_JSON
    if not error.description:
        # Falcon's own 404/405 (no route, no responder) carry a title only.
        error.description = default_description(req, error)
    resp.data = error.to_json()
    resp.append_header("Vary", "Accept")


def default_description(req: falcon.Request, error: falcon.HTTPError) -> str:
    """What a person can do about an error raised without a description."""
    where = f"{req.method} {req.path}"
    if isinstance(error, falcon.HTTPMethodNotAllowed):
        allowed = dict(error.headers or {}).get("Allow", "")
        return f"{where} is not allowed; this path accepts {allowed or 'no method'}"
    if isinstance(error, falcon.HTTPNotFound):
        return (
            f"nothing at {req.path}: the paths served are in the API document "
            "(GET /api/openapi.json on the gateway); movie ids are whole numbers from 1"
        )
    return f"{where} failed with {error.status}; retry later or report the X-Request-ID"


def _unavailable(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.warning("dependency unavailable: %s", ex, extra={"request_id": _rid(req)})
    raise falcon.HTTPServiceUnavailable(
        title="Service Unavailable", description=str(ex) or "a dependency is unavailable"
    )


def _timeout(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.warning("dependency timeout: %s", ex, extra={"request_id": _rid(req)})
    raise falcon.HTTPGatewayTimeout(
        title="Gateway Timeout", description=str(ex) or "a dependency timed out"
    )


def _unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.error("unhandled error", exc_info=ex, extra={"request_id": _rid(req)})
    raise falcon.HTTPInternalServerError(
        title="Internal Server Error",
        description="the request failed on our side and is logged; report its X-Request-ID",
    )


def _rid(req: falcon.Request) -> str | None:
    return getattr(req.context, "request_id", None)


def install_error_handling(app: falcon.App) -> None:
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(DependencyUnavailable, _unavailable)
    app.add_error_handler(DependencyTimeout, _timeout)
