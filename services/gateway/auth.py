"""Bearer tokens for the gateway's writes (API_TOKENS).

When tokens are configured, every request that would change data (any method but GET, HEAD
and OPTIONS on a route that has a responder for it) needs ``Authorization: Bearer <token>``
with one of them; reads stay open. The token is compared with every configured one in
constant time, and never logged: the access line says only ``auth: missing`` or ``rejected``.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from typing import Any

import falcon

from services.common.config import ConfigError

READS = frozenset({"GET", "HEAD", "OPTIONS"})
# RFC 6750's b64token: what a bearer token may contain, so that one never needs quoting.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
MIN_TOKEN_LENGTH = 16
CHALLENGE = "Bearer"


@dataclass(frozen=True)
class ApiTokens:
    """The accepted tokens, as bytes (``hmac.compare_digest`` takes ASCII text only)."""

    tokens: tuple[bytes, ...] = field(repr=False)

    @classmethod
    def parse(cls, setting: str) -> ApiTokens | None:
        """None when the setting names no token: writes are open, as without API_TOKENS.
        A bad token stops the start; the message says which by position, never by value."""
        tokens = [token.strip() for token in setting.split(",")]
        tokens = [token for token in tokens if token]
        for position, token in enumerate(tokens, start=1):
            if not _TOKEN.fullmatch(token):
                raise ConfigError(
                    f"API_TOKENS token {position} has characters a bearer token cannot carry "
                    "(use A-Z a-z 0-9 - . _ ~ + /, then = padding only)"
                )
            if len(token) < MIN_TOKEN_LENGTH:
                raise ConfigError(
                    f"API_TOKENS token {position} is shorter than {MIN_TOKEN_LENGTH} characters"
                )
        return cls(tuple(token.encode("ascii") for token in tokens)) if tokens else None

    def accepts(self, authorization: str | None) -> bool:
        credentials = bearer_credentials(authorization)
        if credentials is None:
            return False
        # Unicode cannot match (the tokens are ASCII); "replace" keeps it from raising.
        candidate = credentials.encode("utf-8", errors="replace")
        matched = False
        for token in self.tokens:  # every one, so the time does not say which matched
            matched |= hmac.compare_digest(candidate, token)
        return matched


def bearer_credentials(authorization: str | None) -> str | None:
    """The token of ``Bearer <token>`` (the scheme in any case), None for anything else,
    repeated headers (which arrive joined by a comma) included."""
    if not authorization:
        return None
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


class RequireTokenForWrites:
    """Falcon middleware: after routing, so unknown paths stay 404 and methods a route does
    not serve stay 405, whoever asks."""

    def __init__(self, tokens: ApiTokens) -> None:
        self._tokens = tokens

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        if req.method in READS or not hasattr(resource, f"on_{req.method.lower()}"):
            return
        authorization = req.get_header("Authorization")
        if self._tokens.accepts(authorization):
            return
        missing = authorization is None
        req.context.log_fields = {"auth": "missing" if missing else "rejected"}
        raise falcon.HTTPUnauthorized(
            title="Unauthorized",
            description=(
                "this request changes data: send Authorization: Bearer <token>"
                if missing
                else "the bearer token was not accepted: send Authorization: Bearer <token> "
                "with one of the gateway's tokens"
            ),
            challenges=[CHALLENGE],
        )
