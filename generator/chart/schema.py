"""values.schema.json from the model: wrong types and unknown keys fail ``helm install``.

A shape that occurs more than once in the values (a probe, resources, a security context, an
image, a volume...) is written once under ``$defs`` and referenced where it occurs; a shape
that occurs once stays inline. Every object is closed (``additionalProperties: false``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin, get_type_hints

from generator.chart.model import Values
from generator.chart.values_file import sentence

SCALARS: dict[type, str] = {bool: "boolean", int: "integer", str: "string"}


def values_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of the chart's values."""
    counts = Counter(shape_of(cls) for cls in _nested(Values))
    shared = {shape.__name__ for shape, count in counts.items() if count > 1}
    head = {"$schema": "http://json-schema.org/draft-07/schema#", "title": "movies values"}
    defs = {
        shape.__name__: object_schema(shape, shared)
        for shape in sorted(counts, key=lambda shape: shape.__name__)
        if shape.__name__ in shared
    }
    return head | object_schema(Values, shared) | {"$defs": defs}


def shape_of(cls: type) -> type:
    """The most general dataclass among ``cls``'s bases with the same fields: subclasses
    that only change defaults (InventoryDb, BillingDb) share their base's shape (Database)."""
    fields = _shape(cls)
    general = [base for base in cls.__mro__ if dataclasses.is_dataclass(base)]
    return next(base for base in reversed(general) if _shape(base) == fields)


def object_schema(cls: type, shared: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    hints = get_type_hints(cls)
    properties = {}
    for field in dataclasses.fields(cls):
        properties[field.name] = type_schema(hints[field.name], shared) | _annotations(field)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(properties),
        "properties": properties,
    }


def type_schema(hint: Any, shared: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    if dataclasses.is_dataclass(hint):
        cls = typing.cast(type, hint)
        name = shape_of(cls).__name__
        return {"$ref": f"#/$defs/{name}"} if name in shared else object_schema(cls, shared)
    if get_origin(hint) is Literal:
        return {"type": "string", "enum": list(get_args(hint))}
    if get_origin(hint) is dict:
        return {"type": "object", "additionalProperties": type_schema(get_args(hint)[1])}
    if hint in SCALARS:
        return {"type": SCALARS[hint]}
    if isinstance(hint, types.UnionType):
        raise TypeError(f"unions are not allowed in the values model: {hint}")
    raise TypeError(f"no schema for {hint!r}")


def _nested(cls: type) -> Iterator[type]:
    """Every dataclass type under ``cls``, once per place it occurs in the values."""
    hints = get_type_hints(cls)
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            yield typing.cast(type, hint)
            yield from _nested(typing.cast(type, hint))


def _shape(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    hints = get_type_hints(cls)
    return tuple((f.name, hints[f.name], f.metadata["minimum"]) for f in dataclasses.fields(cls))


def _annotations(field: dataclasses.Field[Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"description": sentence(field)}
    if field.metadata["minimum"] is not None:
        extra["minimum"] = field.metadata["minimum"]
    return extra
