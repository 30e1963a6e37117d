"""Reading configuration from the environment, once, with errors that name the variable."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

N = TypeVar("N", int, float)


class ConfigError(Exception):
    """A required setting is missing or malformed; the message is the one line to print."""


def env_str(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"missing required environment variable {name}")
    return default


def env_secret(env: Mapping[str, str], name: str) -> str:
    """Passwords are taken verbatim: leading or trailing spaces may be part of them."""
    value = env.get(name)
    if value is None or value == "":
        raise ConfigError(f"missing required environment variable {name}")
    return value


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    value = _parsed(env, name, int, "an integer")
    if value is None:
        return default
    if value < minimum:
        raise ConfigError(f"environment variable {name} must be >= {minimum}, got {value}")
    return value


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _parsed(env, name, float, "a number")
    if value is None:
        return default
    if value <= 0:
        raise ConfigError(f"environment variable {name} must be > 0, got {value}")
    return value


def _parsed(env: Mapping[str, str], name: str, kind: Callable[[str], N], what: str) -> N | None:
    """The variable converted by `kind`, or None when it is unset or blank."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be {what}, got {raw!r}") from None


def process_env() -> Mapping[str, str]:
    return os.environ
