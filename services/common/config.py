"""Reading configuration from the environment, once, with errors that name the variable."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from services.common.environment import Environment, Variable

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


@dataclass(frozen=True)
class Reader:
    """Reads only declared variables, with their declared defaults: a loader cannot read a
    variable that its service's ``ENVIRONMENT`` does not list, nor disagree on a default."""

    env: Mapping[str, str]
    declared: Mapping[str, Variable]

    @classmethod
    def of(cls, env: Mapping[str, str], environment: Environment) -> Reader:
        return cls(env, {variable.name: variable for variable in environment})

    def text(self, name: str) -> str:
        return env_str(self.env, name, self._variable(name).default)

    def password(self, name: str) -> str:
        self._variable(name)
        return env_secret(self.env, name)

    def integer(self, name: str, *, minimum: int = 0) -> int:
        return env_int(self.env, name, int(self._default(name)), minimum=minimum)

    def number(self, name: str) -> float:
        return env_float(self.env, name, float(self._default(name)))

    def is_set(self, name: str) -> bool:
        self._variable(name)
        return bool(self.env.get(name, "").strip())

    def _variable(self, name: str) -> Variable:
        try:
            return self.declared[name]
        except KeyError:
            raise LookupError(f"{name} is read but not declared in ENVIRONMENT") from None

    def _default(self, name: str) -> str:
        default = self._variable(name).default
        if default is None:
            raise LookupError(f"{name} is read as a number but declared without a default")
        return default
