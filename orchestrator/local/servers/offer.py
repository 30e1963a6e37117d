"""When `local` starts private servers: for a server configured on this machine, installed
here, with nothing answering on its port. On a terminal it asks first; `--private-servers`
starts them without asking; otherwise the one-line error names the flag."""

from __future__ import annotations

import click

from orchestrator.local.config import LocalConfig
from orchestrator.local.servers import postgres, rabbitmq
from orchestrator.local.servers.lifecycle import PrivateServer, answers, shown

FLAG = "--private-servers"
# A private server listens on 127.0.0.1: it can stand in only for a server expected there.
_THIS_MACHINE = frozenset({"127.0.0.1", "localhost"})


def candidates(config: LocalConfig) -> list[PrivateServer]:
    folder = config.servers_dir.resolve()
    found: list[PrivateServer] = []
    if _missing(config.db_host, config.db_port) and postgres.bin_dir() is not None:
        found.append(
            postgres.PrivatePostgres(folder / "postgresql", config.db_port, user=config.db_user)
        )
    if _missing(config.rabbitmq_host, config.rabbitmq_port) and rabbitmq.installed():
        found.append(
            rabbitmq.PrivateRabbitMQ(
                folder / "rabbitmq", config.rabbitmq_port, user=config.rabbitmq_user,
                password=config.rabbitmq_password, vhost=config.rabbitmq_vhost,
            )
        )  # fmt: skip
    return found


def _missing(host: str, port: int) -> bool:
    return host in _THIS_MACHINE and not answers(host, port)


def wanted(config: LocalConfig, *, always: bool, ask: bool) -> list[PrivateServer]:
    """The candidates the user wants, every question asked before anything starts, so that
    the user is not kept waiting between two of them."""
    return [
        server
        for server in candidates(config)
        if always or (ask and click.confirm(question(server), default=True))
    ]


def question(server: PrivateServer) -> str:
    return (
        f"{server.label} is installed but nothing answers on 127.0.0.1:{server.port}: "
        f"start a private one in {shown(server.folder)}?"
    )


def hint(config: LocalConfig, label: str) -> str | None:
    """How the flag would start the server that does not answer, when it can."""
    for server in candidates(config):
        if server.label == label:
            where = shown(server.folder)
            return f"`./orchestrator.sh local {FLAG}` starts a private one in {where}"
    return None
