"""`local`: the three services on this machine against local PostgreSQL and RabbitMQ.

Ports: gateway 3000, inventory 8080, billing 8081 (8080 is inventory's here).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from rich.console import Console

from orchestrator.errors import OrchestratorError

STOP_GRACE_SECONDS = 20.0
# A development run listens on this machine only, not on every interface.
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LocalConfig:
    """The local dependencies; each value can be overridden by the same variable."""

    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_user: str = "postgres"
    # Ignored under trust authentication, but the services require a value.
    db_password: str = "postgres"  # noqa: S105 - the documented local default
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"  # noqa: S105 - RabbitMQ's own default


@dataclass(frozen=True)
class LocalService:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


def services(config: LocalConfig, python: str = sys.executable) -> tuple[LocalService, ...]:
    """The three processes with the environment each service declares."""
    broker = {
        "RABBITMQ_HOST": config.rabbitmq_host,
        "RABBITMQ_PORT": str(config.rabbitmq_port),
        "RABBITMQ_USER": config.rabbitmq_user,
        "RABBITMQ_PASSWORD": config.rabbitmq_password,
    }

    def database(prefix: str, name: str) -> dict[str, str]:
        return {
            f"{prefix}_DB_HOST": config.db_host,
            f"{prefix}_DB_PORT": str(config.db_port),
            f"{prefix}_DB_NAME": name,
            f"{prefix}_DB_USER": config.db_user,
            f"{prefix}_DB_PASSWORD": config.db_password,
        }

    return (
        LocalService(
            "inventory",
            (python, "-m", "services.inventory"),
            {"HOST": LOOPBACK, "PORT": "8080", **database("INVENTORY", "inventory")},
        ),
        LocalService(
            "billing",
            (python, "-m", "services.billing"),
            {"HOST": LOOPBACK, "PORT": "8081", **broker, **database("BILLING", "billing")},
        ),
        LocalService(
            "gateway",
            (python, "-m", "services.gateway"),
            {
                "HOST": LOOPBACK,
                "PORT": "3000",
                "INVENTORY_URL": f"http://{LOOPBACK}:8080",
                **broker,
            },
        ),
    )


def config_from_env(env: Mapping[str, str]) -> LocalConfig:
    defaults = LocalConfig()
    return LocalConfig(
        db_host=env.get("LOCAL_DB_HOST", defaults.db_host),
        db_port=int(env.get("LOCAL_DB_PORT", defaults.db_port)),
        db_user=env.get("LOCAL_DB_USER", defaults.db_user),
        db_password=env.get("LOCAL_DB_PASSWORD", defaults.db_password),
        rabbitmq_host=env.get("LOCAL_RABBITMQ_HOST", defaults.rabbitmq_host),
        rabbitmq_port=int(env.get("LOCAL_RABBITMQ_PORT", defaults.rabbitmq_port)),
        rabbitmq_user=env.get("LOCAL_RABBITMQ_USER", defaults.rabbitmq_user),
        rabbitmq_password=env.get("LOCAL_RABBITMQ_PASSWORD", defaults.rabbitmq_password),
    )


def ensure_databases(config: LocalConfig, names: Sequence[str]) -> list[str]:
    """Create each database that does not exist yet; returns the ones created."""
    import pg8000.native  # only `local` talks to PostgreSQL directly

    try:
        conn = pg8000.native.Connection(
            user=config.db_user,
            password=config.db_password,
            host=config.db_host,
            port=config.db_port,
            database="postgres",
            timeout=10,
        )
    except (OSError, pg8000.exceptions.InterfaceError) as exc:
        raise OrchestratorError(
            f"PostgreSQL does not answer at {config.db_host}:{config.db_port} as "
            f"{config.db_user}: start it (e.g. pg_ctlcluster 15 main start) or set LOCAL_DB_*"
        ) from exc
    created = []
    try:
        existing = {row[0] for row in conn.run("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                # Names come from our own constant list; identifiers cannot be parameters.
                conn.run(f'CREATE DATABASE "{name}"')
                created.append(name)
    finally:
        conn.close()
    return created


def supervise(
    procs: Sequence[LocalService],
    console: Console,
    env: Mapping[str, str] = os.environ,
    stop: threading.Event | None = None,
) -> int:
    """Start every service, interleave their log lines, and stop all of them together:
    on Ctrl-C / SIGTERM or `stop` (exit 0), or once one exits on its own (exit 1)."""
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
    children: dict[str, subprocess.Popen[str]] = {}
    stop = stop or threading.Event()
    previous = _on_stop_signals(lambda *_: stop.set())
    try:
        for service in procs:
            child = subprocess.Popen(
                service.argv,
                env={**env, **service.env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                # Their own session: the terminal's Ctrl-C reaches only us, and we stop
                # them with SIGTERM, the signal the services handle cleanly.
                start_new_session=True,
            )
            children[service.name] = child
            threading.Thread(target=_pump, args=(service.name, child, lines), daemon=True).start()
        return _relay(children, lines, stop, console)
    finally:
        _stop_all(children)
        _restore_signals(previous)


def _relay(
    children: Mapping[str, subprocess.Popen[str]],
    lines: queue.Queue[tuple[str, str | None]],
    stop: threading.Event,
    console: Console,
) -> int:
    width = max(len(name) for name in children)
    while not stop.is_set():
        try:
            name, line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is not None:
            # The JSON line itself is left intact after the prefix, for jq and friends.
            console.print(
                f"{name:<{width}} | {line}", markup=False, highlight=False, soft_wrap=True
            )
            continue
        code = children[name].wait()
        console.print(f"{name} exited with code {code}; stopping the others", style="red")
        return 1
    console.print("stopping the services")
    return 0


def _pump(
    name: str, child: subprocess.Popen[str], lines: queue.Queue[tuple[str, str | None]]
) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        lines.put((name, line.rstrip("\n")))
    lines.put((name, None))  # end of output: the process is exiting


def _stop_all(children: Mapping[str, subprocess.Popen[str]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _on_stop_signals(handler: Callable[[int, FrameType | None], None]) -> dict[int, Any]:
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: Mapping[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
