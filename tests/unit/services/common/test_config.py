"""The environment parsers and the Reader that stops a loader reading undeclared names."""

from __future__ import annotations

import pytest

from services.common.config import (
    ConfigError,
    Reader,
    env_float,
    env_int,
    env_secret,
    env_str,
)
from services.common.environment import Variable

DECLARED = (
    Variable("NAME", "a name", "fallback"),
    Variable("COUNT", "a count", "4"),
    Variable("RATE", "a rate", "0.5"),
    Variable("SECRET", "a password", secret=True),
    Variable("REQUIRED", "required, no default"),
)


def test_text_is_stripped_and_blank_means_unset():
    assert env_str({"A": "  x  "}, "A") == "x"
    assert env_str({"A": "   "}, "A", "default") == "default"
    with pytest.raises(ConfigError, match="missing required environment variable A"):
        env_str({"A": " "}, "A")


def test_a_secret_is_taken_verbatim_but_must_not_be_empty():
    assert env_secret({"P": " pass word "}, "P") == " pass word "
    for env in ({}, {"P": ""}):
        with pytest.raises(ConfigError, match="missing required environment variable P"):
            env_secret(env, "P")


def test_integers_are_parsed_and_bounded():
    assert env_int({"N": " 12 "}, "N", 3) == 12
    assert env_int({}, "N", 3) == 3
    with pytest.raises(ConfigError, match=r"N must be an integer, got '1\.5'"):
        env_int({"N": "1.5"}, "N", 3)
    with pytest.raises(ConfigError, match="N must be >= 1, got 0"):
        env_int({"N": "0"}, "N", 3, minimum=1)


def test_numbers_must_be_positive():
    assert env_float({"T": "2.5"}, "T", 1.0) == 2.5
    assert env_float({"T": ""}, "T", 1.0) == 1.0
    with pytest.raises(ConfigError, match="T must be a number, got 'soon'"):
        env_float({"T": "soon"}, "T", 1.0)
    with pytest.raises(ConfigError, match=r"T must be > 0, got 0\.0"):
        env_float({"T": "0"}, "T", 1.0)


def test_the_reader_uses_the_declared_defaults():
    read = Reader.of({"SECRET": "s", "REQUIRED": "r"}, DECLARED)
    assert (read.text("NAME"), read.integer("COUNT"), read.number("RATE")) == ("fallback", 4, 0.5)
    assert (read.password("SECRET"), read.text("REQUIRED")) == ("s", "r")
    assert not read.is_set("NAME")


def test_the_reader_refuses_names_it_was_not_told_about():
    read = Reader.of({"OTHER": "1"}, DECLARED)
    for ask in (read.text, read.password, read.integer, read.number, read.is_set):
        with pytest.raises(LookupError, match="OTHER is read but not declared"):
            ask("OTHER")


def test_a_number_needs_a_declared_default():
    with pytest.raises(LookupError, match="declared without a default"):
        Reader.of({"REQUIRED": "3"}, DECLARED).integer("REQUIRED")
