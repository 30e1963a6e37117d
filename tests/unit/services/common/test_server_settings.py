"""The server's settings take their defaults from the declared environment, and only there."""

from __future__ import annotations

import dataclasses

from services.common import environment as declare
from services.common.config import Reader
from services.common.server import ServerSettings


def test_no_setting_read_from_the_environment_has_a_default_of_its_own():
    with_defaults = {
        field.name
        for field in dataclasses.fields(ServerSettings)
        if field.default is not dataclasses.MISSING
    }
    assert with_defaults == {"drain_seconds"}  # a per-service constant, not a variable


def test_the_declared_defaults_are_what_a_service_gets():
    settings = ServerSettings.from_env(Reader.of({}, declare.server(port=8123, threads=3)))
    assert settings == ServerSettings("0.0.0.0", 8123, threads=3, queue_log_seconds=10.0)


def test_there_is_one_http_server_and_no_variable_to_choose_another():
    names = {variable.name for variable in declare.server(port=1, threads=1)}
    assert names == {"HOST", "PORT", "THREADS", "QUEUE_LOG_SECONDS", "METRICS_PORT"}
