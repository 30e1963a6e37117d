"""The pieces every service's Falcon app shares: middleware, errors and probe routes."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

import falcon
import orjson
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

Config = TypeVar("Config", bound="ServiceConfig")
Deps = TypeVar("Deps", bound="Dependencies")


class ServiceConfig(Protocol):
    @property
    def server(self) -> ServerSettings: ...


class Dependencies(Protocol):
    """What a service's app is built on: opened from its config, closed once it stops."""

    def close(self) -> None: ...


@runtime_checkable
class Worker(Protocol):
    """Dependencies that also do work beside HTTP (billing's consumer) until ``stop``."""

    def work(self, stop: threading.Event) -> None: ...


class ServiceApp(falcon.App):
    """A Falcon app that knows its metrics registry, for the server to add its own metrics."""

    def __init__(self, registry: CollectorRegistry, middleware: list[Any]) -> None:
        super().__init__(middleware=middleware)
        self.registry = registry


def new_app(*, registry: CollectorRegistry, checks: Mapping[str, Check]) -> ServiceApp:
    metrics = HttpMetrics(registry)
    middleware: list[Any] = [RequestIdMiddleware(), AccessLogMiddleware(metrics)]
    app = ServiceApp(registry, middleware)
    app.req_options.strip_url_path_trailing_slash = True
    # The services answer JSON; keep Falcon from guessing other media types for errors.
    app.resp_options.default_media_type = falcon.MEDIA_JSON
    # orjson writes the answers falcon serializes (probes, created movies, queued orders) in a
    # fraction of the stdlib's time; request bodies are parsed by services.common.bodies.
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=orjson.dumps, loads=orjson.loads
    )
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


def run_service(
    name: str,
    load: Callable[[Mapping[str, str]], Config],
    open_deps: Callable[[Config], Deps],
    create_app: Callable[[Deps], falcon.App],
) -> None:
    """The whole life of ``python -m services.<name>``: configuration, dependencies, the app
    served until SIGTERM (and the worker run, if the dependencies have one), then closing."""
    config = load_config_or_exit(name, load)
    deps = open_deps(config)
    try:
        app = create_app(deps)
        registry = app.registry if isinstance(app, ServiceApp) else None
        server = build_server(app, config.server, name=name, registry=registry)
        stop = threading.Event()
        stop_on_signals(stop)
        if isinstance(deps, Worker):
            _serve_beside(deps.work, server, stop, config.server.drain_seconds, name)
        else:
            serve_until_stopped(server, stop, config.server.drain_seconds)
    finally:
        deps.close()


def _serve_beside(
    work: Callable[[threading.Event], None],
    server: Any,
    stop: threading.Event,
    drain: float,
    name: str,
) -> None:
    """HTTP on a thread while the worker runs here; the worker returning ends both."""
    http_stop = threading.Event()
    http = threading.Thread(
        target=serve_until_stopped, args=(server, http_stop, drain), daemon=True
    )
    http.start()
    try:
        work(stop)
    except Exception:
        # Unexpected: logged as JSON, then a non-zero exit so that the orchestrator restarts
        # the process; unacknowledged work goes back to the broker with the connection.
        logging.getLogger(name).exception("worker crashed")
        raise SystemExit(1) from None
    finally:
        http_stop.set()
        http.join(timeout=5)
