"""`local`'s private PostgreSQL and RabbitMQ, for real: started from this machine's packages on
free ports in a temporary folder (never on 5432/5672, where the machine's own servers run and
are left alone), used, stopped, and checked to leave no process behind and their data in place.
The packages are installed wherever this suite runs: a missing one fails, it is not skipped."""

from __future__ import annotations

import io
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pg8000.native
import pytest
from kombu import Connection, Exchange, Queue
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.config import LocalConfig
from orchestrator.local.servers import offer, postgres, rabbitmq
from orchestrator.local.servers.lifecycle import PrivateServer, running
from orchestrator.local.servers.postgres import PrivatePostgres
from orchestrator.local.servers.rabbitmq import PrivateRabbitMQ
from orchestrator.local.supervised import Supervised
from tests.e2e.audit import call, expect
from tests.harness.process import free_port
from tests.support.tools import REPO as REPO_ROOT

from ..test_cli_local import distinct_free_ports, eventually, free_service_ports, wait_ready


@pytest.fixture(scope="module", autouse=True)
def _installed():
    assert postgres.bin_dir() is not None, "PostgreSQL (initdb, pg_ctl, postgres) is not installed"
    assert rabbitmq.installed(), "RabbitMQ (rabbitmq-server, rabbitmqctl, epmd) is not installed"


@pytest.fixture(scope="module")
def servers_dir():
    # Not tmp_path: pytest makes its folders private to their owner, and under root the
    # servers run as the `postgres` and `rabbitmq` users, who must reach their folders.
    folder = Path(tempfile.mkdtemp(prefix="movies-servers-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def recording_console():
    return Console(record=True, width=300, force_terminal=False, file=io.StringIO())


def processes_of(marker):
    """The processes whose command line or environment mentions `marker`, and their
    descendants (PostgreSQL's workers, Erlang's helper programs)."""
    found: set[int] = set()
    parents: dict[int, int] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if marker.encode() in text:
            found.add(int(proc.name))
    while True:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        if not more:
            return found
        found |= more


def alive(pids):
    """Those of `pids` still running (a zombie has ended: its parent has yet to reap it)."""
    running_now = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running_now.add(pid)
    return running_now


def erlang_vm_runs(folder):
    """Whether a node of `folder` has its Erlang VM running: it is booting, at least."""
    for pid in processes_of(str(folder)):
        try:
            if b"beam.smp" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@contextmanager
def serving(server: PrivateServer, console):
    """The server under a supervisord of its own, as `local` runs it."""
    state = server.folder.parent / "state"
    with (
        Supervised(state, server.programs(), console) as supervised,
        running(server, supervised, console),
    ):
        yield


def pg_connection(port, database="postgres"):
    return pg8000.native.Connection("postgres", host="127.0.0.1", port=port, database=database)


# --- PostgreSQL


def test_a_private_postgres_keeps_its_data_across_a_restart(servers_dir):
    server = PrivatePostgres(servers_dir / "postgresql", free_port(), user="postgres")
    console = recording_console()
    with serving(server, console):
        pids = processes_of(str(server.data))
        assert len(alive(pids)) > 1  # the postmaster and its workers
        conn = pg_connection(server.port)
        conn.run("CREATE TABLE films (title text)")
        conn.run("INSERT INTO films VALUES ('Alien')")
        conn.close()
    assert not alive(pids)
    assert (server.data / "PG_VERSION").is_file()

    with serving(server, console):
        conn = pg_connection(server.port)
        assert conn.run("SELECT title FROM films") == [["Alien"]]
        conn.close()
    assert not processes_of(str(server.data))

    lines = console.export_text().splitlines()
    ready = f"private PostgreSQL ready on 127.0.0.1:{server.port}, data in {server.data}"
    assert lines == [
        "starting private PostgreSQL (first run: initdb) ...", ready,
        "stopping the private PostgreSQL",
        "starting private PostgreSQL ...", ready,  # the second run reuses the data
        "stopping the private PostgreSQL",
    ]  # fmt: skip


def test_a_private_postgres_that_cannot_start_names_its_log(servers_dir):
    server = PrivatePostgres(servers_dir / "postgresql", free_port(), user="postgres")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", server.port))
        holder.listen()
        with pytest.raises(OrchestratorError) as failure, serving(server, recording_console()):
            pass
    assert failure.value.message == (f"the private PostgreSQL did not start: {server.log} says why")
    assert "could not bind" in server.log.read_text()
    assert not processes_of(str(server.data))


# --- RabbitMQ


def test_a_private_rabbitmq_takes_and_gives_messages_and_stops_cleanly(servers_dir):
    server = PrivateRabbitMQ(
        servers_dir / "rabbitmq", free_port(), user="guest", password="guest", vhost="/"
    )
    console = recording_console()
    with serving(server, console):
        pids = processes_of(str(server.folder))
        assert len(alive(pids)) > 2  # its epmd, rabbitmq-server and the Erlang VM at least
        queue = Queue("private_test", Exchange("private_test"), "private_test", durable=True)
        with Connection(hostname="127.0.0.1", port=server.port, userid="guest",
                        password="guest", connect_timeout=5) as conn:  # fmt: skip
            producer = conn.Producer()
            producer.publish({"order": 1}, exchange=queue.exchange, routing_key="private_test",
                             declare=[queue], serializer="json")  # fmt: skip
            message = queue(conn.default_channel).get(no_ack=True)
            assert message is not None
            assert message.payload == {"order": 1}
            producer.publish({"order": 2}, exchange=queue.exchange, routing_key="private_test")
        # The folder's own rabbitmqctl reaches this node, not the machine's.
        listed = subprocess.run([server.folder / "rabbitmqctl", "list_queues", "name", "messages"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert "private_test\t1" in listed.splitlines()
    assert not alive(pids)
    assert not processes_of(str(server.folder))
    assert (server.mnesia / server.node).is_dir()
    output = console.export_text()
    assert f"starting private RabbitMQ (node {server.node}) ..." in output
    assert f"private RabbitMQ ready on 127.0.0.1:{server.port}, data in {server.mnesia}" in output
    assert output.splitlines()[-1] == "stopping the private RabbitMQ"


def test_a_node_name_is_its_folders_own(tmp_path):
    def node(folder):
        return PrivateRabbitMQ(folder, 1, user="guest", password="guest", vhost="/").node

    assert node(tmp_path / "a") == node(tmp_path / "a")
    assert node(tmp_path / "a") != node(tmp_path / "b")
    assert node(tmp_path / "a").startswith("movies-")
    assert node(tmp_path / "a").endswith("@localhost")


# --- when they are offered


def test_offered_only_where_the_server_belongs_on_this_machine_and_nothing_answers(tmp_path):
    quiet_db, quiet_mq = distinct_free_ports(2)

    def labels(**settings):
        config = LocalConfig(servers_dir=tmp_path, **settings)
        return [server.label for server in offer.candidates(config)]

    assert labels(db_port=quiet_db, rabbitmq_port=quiet_mq) == ["PostgreSQL", "RabbitMQ"]
    assert labels(db_host="localhost", db_port=quiet_db, rabbitmq_host="db.invalid") == [
        "PostgreSQL"
    ]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        assert labels(db_port=taken, rabbitmq_port=quiet_mq) == ["RabbitMQ"]


def local_env(tmp_path, servers_dir):
    db, mq = distinct_free_ports(2)
    return {
        **free_service_ports(),
        "LOCAL_DB_PORT": str(db),
        "LOCAL_RABBITMQ_PORT": str(mq),
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
        "LOCAL_SERVERS_DIR": str(servers_dir),
    }


def on_a_terminal(argv, env, answers, timeout=60):
    """Runs argv with a pseudo-terminal for its input and output, typing each answer when the
    output ends with a question; returns the exit code and all it wrote."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, env={**os.environ, **env},
                            stdin=secondary, stdout=secondary, stderr=secondary)  # fmt: skip
    os.close(secondary)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if pending and output.rstrip().endswith(b"[Y/n]:"):
                os.write(primary, pending.pop(0).encode() + b"\n")
            if not select.select([primary], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: every holder of the terminal has closed it
                break
            if not chunk:
                break
            output += chunk
        return proc.wait(timeout=30), output.decode(errors="replace").replace("\r\n", "\n")
    finally:
        os.close(primary)
        if proc.poll() is None:
            proc.kill()


def test_on_a_terminal_local_asks_and_a_no_is_the_one_line_error_naming_the_flag(
    tmp_path, servers_dir
):
    env = local_env(tmp_path, servers_dir / "declined")
    code, output = on_a_terminal([sys.executable, "-m", "orchestrator", "local"], env, ["n", "n"])
    assert code == 1, output
    lines = [line for line in output.splitlines() if line.strip()]
    where = servers_dir / "declined"
    assert lines[:2] == [
        f"PostgreSQL is installed but nothing answers on 127.0.0.1:{env['LOCAL_DB_PORT']}: "
        f"start a private one in {where / 'postgresql'}? [Y/n]: n",
        f"RabbitMQ is installed but nothing answers on 127.0.0.1:{env['LOCAL_RABBITMQ_PORT']}: "
        f"start a private one in {where / 'rabbitmq'}? [Y/n]: n",
    ]
    assert len(lines) == 3
    assert lines[2].startswith(
        f"Error: RabbitMQ does not answer at 127.0.0.1:{env['LOCAL_RABBITMQ_PORT']}"
    )
    flag = "`./orchestrator.sh local --private-servers`"
    assert f"{flag} starts a private one in {where / 'rabbitmq'}, or start it with " in lines[2]
    assert not where.exists()  # declined: nothing made


# --- the real `local --private-servers`


def local_with_private_servers(env, log):
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "local", "--private-servers"], cwd=REPO_ROOT,
            env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_sigterm_while_rabbitmq_starts_stops_both_private_servers(tmp_path, servers_dir):
    folder = servers_dir / "interrupted"
    log = tmp_path / "local.log"
    proc = local_with_private_servers(local_env(tmp_path, folder), log)
    try:
        eventually(lambda: erlang_vm_runs(folder / "rabbitmq"), seconds=60)
        pids = processes_of(str(folder))
        proc.terminate()
        assert proc.wait(timeout=60) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines[-3:] == [
        "stopping the private RabbitMQ", "stopping the private PostgreSQL", "Aborted!"
    ]  # fmt: skip
    assert not alive(pids)
    assert not processes_of(str(folder))
    assert (folder / "postgresql" / "data" / "PG_VERSION").is_file()


def test_local_with_private_servers_serves_an_order_and_stops_them_on_sigint(tmp_path, servers_dir):
    folder = servers_dir / "cli"
    env = local_env(tmp_path, folder)
    config = LocalConfig.from_env(env, REPO_ROOT)
    log = tmp_path / "local.log"
    proc = local_with_private_servers(env, log)
    try:
        for name in ("inventory", "billing", "gateway"):
            wait_ready(f"{config.url(name)}/readyz", seconds=120)
        pids = processes_of(str(folder))  # `local` itself, its services and both servers
        order = {"user_id": "31", "number_of_items": "2", "total_amount": "9.50"}
        assert expect(call(config.url("gateway"), "POST", "/api/billing", order))

        def stored():
            conn = pg_connection(config.db_port, config.billing_db)
            try:
                return conn.run("SELECT count(*) FROM orders WHERE user_id = 31")[0][0]
            finally:
                conn.close()

        eventually(lambda: stored() == 1, seconds=30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:  # a failed check: SIGTERM still stops the servers
            proc.terminate()
            proc.wait(timeout=60)

    output = log.read_text()
    assert "starting private PostgreSQL (first run: initdb) ..." in output
    assert f"private RabbitMQ ready on 127.0.0.1:{config.rabbitmq_port}" in output
    assert output.splitlines()[-3:] == [
        "stopping the services", "stopping the private RabbitMQ", "stopping the private PostgreSQL"
    ]  # fmt: skip
    assert not alive(pids)
    assert not processes_of(str(folder))
    assert (folder / "postgresql" / "data" / "PG_VERSION").is_file()
    assert any((folder / "rabbitmq" / "mnesia").iterdir())
