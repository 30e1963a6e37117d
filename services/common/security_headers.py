"""Headers a security review asks of every answer: a browser must never guess a media type
other than the one declared (a JSON error body rendered as HTML, say)."""

from __future__ import annotations

from typing import Any

import falcon

NOSNIFF = ("X-Content-Type-Options", "nosniff")


class SecurityHeadersMiddleware:
    """On every answer, errors and 404s included (Falcon runs ``process_response`` for all)."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header(*NOSNIFF)
