"""Documented dataclass fields: every value carries its description beside its default."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def doc(default: T, text: str, *, minimum: int | None = None) -> T:
    """A field whose default is ``default``, documented by ``text``."""
    meta = {"doc": text, "minimum": minimum}
    if isinstance(default, dict | list):
        frozen = dict(default) if isinstance(default, dict) else list(default)
        return dataclasses.field(default_factory=lambda: frozen.copy(), metadata=meta)  # type: ignore[return-value]
    return dataclasses.field(default=default, metadata=meta)


def part(factory: Any, text: str) -> Any:
    """A nested settings group (a dataclass) built by ``factory``."""
    return dataclasses.field(default_factory=factory, metadata={"doc": text, "minimum": None})
