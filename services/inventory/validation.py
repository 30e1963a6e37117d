"""Turning a client's JSON into movie fields, or a 400 that says what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import falcon

from services.common.bodies import require_object

MAX_TITLE = 500
MAX_DESCRIPTION = 10_000


@dataclass(frozen=True)
class MovieChanges:
    title: str | None
    description: str | None


def parse_new_movie(body: Any) -> MovieChanges:
    data = require_object(body)
    if "title" not in data:
        raise _invalid("title is required")
    changes = _parse_fields(data)
    return MovieChanges(changes.title, changes.description or "")


def parse_movie_update(body: Any) -> MovieChanges:
    data = require_object(body)
    if "title" not in data and "description" not in data:
        raise _invalid("send title, description or both")
    return _parse_fields(data)


def _parse_fields(data: dict[str, Any]) -> MovieChanges:
    title = _text(data, "title", MAX_TITLE, allow_null=False)
    if title is not None and not title.strip():
        raise _invalid("title must not be blank")
    description = _text(data, "description", MAX_DESCRIPTION, allow_null=True)
    return MovieChanges(title, description)


def _text(data: dict[str, Any], field: str, limit: int, *, allow_null: bool) -> str | None:
    if field not in data or (allow_null and data[field] is None):
        return None
    value = data[field]
    if not isinstance(value, str):
        raise _invalid(f"{field} must be a string")
    if len(value) > limit:
        raise _invalid(f"{field} must be at most {limit} characters")
    if not storable(value):
        raise _invalid(f"{field} must be valid Unicode text without NUL characters")
    return value


def storable(value: str) -> bool:
    """PostgreSQL text holds neither NUL nor lone surrogates (which JSON can still carry)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invalid(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Invalid movie", description=description)


def parse_title_filter(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_TITLE or not storable(value):
        raise falcon.HTTPBadRequest(
            title="Invalid filter",
            description=f"title must be at most {MAX_TITLE} characters, without NUL characters",
        )
    return value
