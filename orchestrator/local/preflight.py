"""What `local` checks before it starts anything, so that each problem is one line with its
fix instead of three services failing at once: free ports, PostgreSQL, RabbitMQ. Where a
private server could stand in for a missing one, its line says how."""

from __future__ import annotations

import errno
import shutil
import socket
from collections.abc import Sequence
from pathlib import Path

from orchestrator.errors import OrchestratorError
from orchestrator.local.config import SERVICES, LocalConfig
from orchestrator.local.servers import offer

_PROC = Path("/proc")


def check_ports(config: LocalConfig) -> None:
    wanted = [(service, config.port(service), "PORT") for service in SERVICES]
    wanted += [(f"{s} metrics", config.metrics_port(s), "METRICS_PORT") for s in SERVICES]
    given: dict[int, str] = {}
    for user, port, setting in wanted:
        variable = f"LOCAL_{user.split()[0].upper()}_{setting}"
        if port in given:
            raise OrchestratorError(f"{given[port]} and {variable} are both {port}: one each")
        given[port] = variable
        if not _can_listen(port):
            raise OrchestratorError(
                f"port {port} ({user}) is taken by {port_holder(port)}: stop it, or run "
                f"`local` with {variable} set to a free port"
            )


def _can_listen(port: int) -> bool:
    with socket.socket() as sock:
        # As waitress does: a port left in TIME_WAIT by a stopped service is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def port_holder(port: int) -> str:
    """`pid N (command line)` of the process listening on `port`, as far as /proc tells."""
    inodes = _listening_inodes(port)
    for pid_dir in _PROC.glob("[0-9]*"):
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = fd.readlink().name
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return f"pid {pid_dir.name} ({_command_line(pid_dir)})"
    return "another process (one this user cannot see; try `sudo ss -ltnp`)"


def held_by(host: str, port: int) -> str:
    """For a port of this machine that something listens on although the server expected
    there did not answer: who holds it (a wrong port, or a server of another kind)."""
    if host not in ("127.0.0.1", "localhost") or not _listening_inodes(port):
        return ""
    return f"; port {port} is held by {port_holder(port)}"


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cells = row.split()
            local_port = int(cells[1].rsplit(":", 1)[1], 16)
            if local_port == port and cells[3] == "0A":  # 0A: LISTEN
                found.add(cells[9])
    return found


def _command_line(pid_dir: Path) -> str:
    try:
        raw = (pid_dir / "cmdline").read_bytes()
    except OSError:
        return "unknown command"
    words = [word.decode(errors="replace") for word in raw.split(b"\0") if word]
    if words:
        words[0] = Path(words[0]).name
    return " ".join(words)[:80] or "unknown command"


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
            f"{config.db_user}{held_by(config.db_host, config.db_port)}: "
            f"{postgres_hint(config)}, or point LOCAL_DB_HOST/LOCAL_DB_PORT at one"
        ) from exc
    created = []
    try:
        existing = {row[0] for row in conn.run("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                # Names come from the declared configuration; identifiers cannot be parameters.
                conn.run(f'CREATE DATABASE "{name}"')
                created.append(name)
    finally:
        conn.close()
    return created


def check_broker(config: LocalConfig) -> None:
    url = f"{config.rabbitmq_host}:{config.rabbitmq_port}"
    try:
        with config.broker().connect() as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:  # kombu wraps socket and AMQP errors in many types
        raise OrchestratorError(
            f"RabbitMQ does not answer at {url} (vhost {config.rabbitmq_vhost}, user "
            f"{config.rabbitmq_user}){held_by(config.rabbitmq_host, config.rabbitmq_port)}: "
            f"{rabbitmq_hint(config)}, or point LOCAL_RABBITMQ_HOST/LOCAL_RABBITMQ_PORT at one "
            f"({type(exc).__name__})"
        ) from exc


def postgres_hint(config: LocalConfig) -> str:
    return _private_first(config, "PostgreSQL", _system_postgres_hint())


def rabbitmq_hint(config: LocalConfig) -> str:
    return _private_first(config, "RabbitMQ", _system_rabbitmq_hint())


def _private_first(config: LocalConfig, label: str, system: str) -> str:
    # The private server needs no sudo, so it comes first where it can stand in.
    private = offer.hint(config, label)
    return f"{private}, or {system}" if private else system


def _system_postgres_hint() -> str:
    clusters = sorted(p.name for p in Path("/etc/postgresql").glob("*") if p.is_dir())
    if clusters and shutil.which("pg_ctlcluster"):
        return f"start it with `sudo pg_ctlcluster {clusters[-1]} main start`"
    if shutil.which("pg_ctl") or Path("/usr/lib/postgresql").is_dir():
        return "it is installed but not running: start it (e.g. `sudo service postgresql start`)"
    return "install and start it with `sudo apt-get install postgresql` (Debian/Ubuntu)"


def _system_rabbitmq_hint() -> str:
    if shutil.which("rabbitmq-server"):
        return "start it with `sudo rabbitmq-server -detached`"
    return "install and start it with `sudo apt-get install rabbitmq-server` (Debian/Ubuntu)"
