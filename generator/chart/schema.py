"""values.schema.json from the model: wrong types and unknown keys fail ``helm install``."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints

from generator.chart.model import Values

SCALARS: dict[type, str] = {bool: "boolean", int: "integer", str: "string"}


def values_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of the chart's values."""
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "title": "movies values"}
    return schema | object_schema(Values)


def object_schema(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    properties = {}
    for field in dataclasses.fields(cls):
        properties[field.name] = type_schema(hints[field.name]) | _annotations(field)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(properties),
        "properties": properties,
    }


def type_schema(hint: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(hint):
        return object_schema(typing.cast(type, hint))
    if get_origin(hint) is Literal:
        return {"type": "string", "enum": list(get_args(hint))}
    if get_origin(hint) is dict:
        return {"type": "object", "additionalProperties": type_schema(get_args(hint)[1])}
    if hint in SCALARS:
        return {"type": SCALARS[hint]}
    if isinstance(hint, types.UnionType):
        raise TypeError(f"unions are not allowed in the values model: {hint}")
    raise TypeError(f"no schema for {hint!r}")


def _annotations(field: dataclasses.Field[Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"description": field.metadata["doc"]}
    if field.metadata["minimum"] is not None:
        extra["minimum"] = field.metadata["minimum"]
    return extra
