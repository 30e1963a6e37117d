"""Reading a JSON request body with a size limit and errors a client can act on."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import falcon


def read_json(req: falcon.Request, *, max_bytes: int, exact_decimals: bool = False) -> Any:
    if req.content_type is None or falcon.MEDIA_JSON not in req.content_type.lower():
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type", description="send the body as application/json"
        )
    raw = read_bounded(req, max_bytes=max_bytes)
    if not raw.strip():
        raise falcon.HTTPBadRequest(title="Invalid JSON", description="the body is empty")
    try:
        return json.loads(raw, parse_float=Decimal if exact_decimals else float)
    except (ValueError, RecursionError) as ex:
        # ValueError covers JSONDecodeError, bad UTF-8 and ints too long to convert.
        raise falcon.HTTPBadRequest(
            title="Invalid JSON", description=f"the body is not valid JSON: {ex}"[:300]
        ) from None


def read_bounded(req: falcon.Request, *, max_bytes: int) -> bytes:
    too_large = falcon.HTTPContentTooLarge(
        title="Content Too Large", description=f"the body must be at most {max_bytes} bytes"
    )
    if req.content_length is not None and req.content_length > max_bytes:
        raise too_large
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large
    return raw


def require_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise falcon.HTTPBadRequest(
            title="Invalid body", description="the body must be a JSON object"
        )
    return value
