"""The pieces every service's Falcon app shares: middleware, errors and probe routes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import falcon
from prometheus_client import CollectorRegistry

from services.common.config import ConfigError, process_env
from services.common.errors import install_error_handling
from services.common.health import Check, add_probe_routes
from services.common.logs import configure_logging
from services.common.metrics import HttpMetrics, MetricsResource
from services.common.middleware import AccessLogMiddleware, RequestIdMiddleware
from services.common.server import (
    ServerSettings,
    build_server,
    serve_until_stopped,
    stop_on_signals,
)

Config = TypeVar("Config")


def new_app(*, registry: CollectorRegistry, checks: Mapping[str, Check]) -> falcon.App:
    metrics = HttpMetrics(registry)
    middleware: list[Any] = [RequestIdMiddleware(), AccessLogMiddleware(metrics)]
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    # The services answer JSON; keep Falcon from guessing other media types for errors.
    app.resp_options.default_media_type = falcon.MEDIA_JSON
    install_error_handling(app)
    add_probe_routes(app, checks, MetricsResource(registry))
    return app


def load_config_or_exit(name: str, loader: Callable[[Mapping[str, str]], Config]) -> Config:
    """Reads the configuration once; a bad one stops the process with one line naming it."""
    configure_logging(name)
    try:
        return loader(process_env())
    except ConfigError as error:
        print(f"{name}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve_app(app: falcon.App, settings: ServerSettings, *, name: str) -> None:
    stop = threading.Event()
    server = build_server(app, settings, name=name)
    stop_on_signals(stop)
    serve_until_stopped(server, stop, settings.drain_seconds)
