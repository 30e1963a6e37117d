"""PostgreSQL access: one pg8000 connection per worker thread, replaced after a failure."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from services.common.config import Reader
from services.common.errors import DependencyTimeout, DependencyUnavailable

log = logging.getLogger(__name__)

# SQLSTATEs that mean "the server or the connection is going away", not "your data is bad".
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "53300", "53400")
_TIMEOUT_STATE = "57014"
# Clients learn that the database is away, never why (auth errors and hosts stay in the log).
_UNAVAILABLE = "the database is unavailable"


@dataclass(frozen=True)
class DbSettings:
    host: str
    port: int
    name: str
    user: str
    password: str = ""
    timeout_seconds: float = 5.0
    statement_timeout_ms: int = 5000
    application_name: str = "movies"

    @classmethod
    def from_env(cls, env: Reader, prefix: str) -> DbSettings:
        """``<prefix>_HOST``, ``_PORT``, ``_NAME``, ``_USER``, ``_PASSWORD`` and the timeouts."""
        return cls(
            host=env.text(f"{prefix}_HOST"),
            port=env.integer(f"{prefix}_PORT", minimum=1),
            name=env.text(f"{prefix}_NAME"),
            user=env.text(f"{prefix}_USER"),
            password=env.password(f"{prefix}_PASSWORD"),
            timeout_seconds=env.number("DB_TIMEOUT_SECONDS"),
            statement_timeout_ms=env.integer("DB_STATEMENT_TIMEOUT_MS", minimum=1),
        )


def sqlstate(error: DatabaseError) -> str:
    details = error.args[0] if error.args else None
    return details.get("C", "") if isinstance(details, dict) else ""


def is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, InterfaceError | OSError):
        return True
    return isinstance(error, DatabaseError) and sqlstate(error).startswith(_CONNECTION_STATES)


def translate(error: BaseException) -> Exception | None:
    """Maps a driver error to the service-level error a resource answers with, if any."""
    if isinstance(error, DatabaseError) and sqlstate(error) == _TIMEOUT_STATE:
        return DependencyTimeout("the database did not answer in time")
    if is_connection_failure(error):
        return DependencyUnavailable(_UNAVAILABLE)
    return None


Migration = Callable[[pg8000.native.Connection], None]


class ConnectionPool:
    """Hands each thread its own connection; migrates the schema on the first good connect.

    Migrating lazily lets a service start (and answer /healthz) before its database is up.
    """

    def __init__(self, settings: DbSettings, migrate: Migration) -> None:
        self._settings = settings
        self._migrate = migrate
        self._local = threading.local()
        self._migrated = threading.Event()
        self._migrate_lock = threading.Lock()
        self._all: set[pg8000.native.Connection] = set()
        self._all_lock = threading.Lock()

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        """Runs one statement (its own transaction); connection failures become 503/504."""
        conn = self._connection()
        return self._guarded(lambda: conn.run(sql, **params))

    def run_read(self, sql: str, **params: Any) -> list[list[Any]]:
        """Like run(), but retries once on a fresh connection: a read is safe to repeat, and a
        connection the server dropped while idle is only noticed when it is next used.

        The statement is prepared once per connection: pg8000 runs an
        unprepared one in three round trips to the server (parse, describe, execute), a
        prepared one in one."""
        try:
            return self._guarded(lambda: self._prepared(sql).run(**params))
        except DependencyUnavailable:
            return self._guarded(lambda: self._prepared(sql).run(**params))

    def _prepared(self, sql: str) -> pg8000.native.PreparedStatement:
        conn = self._connection()
        statements: dict[str, pg8000.native.PreparedStatement] = self._local.statements
        statement = statements.get(sql)
        if statement is None:
            statement = statements[sql] = conn.prepare(sql)
        return statement

    def _guarded(self, call: Callable[[], list[list[Any]]]) -> list[list[Any]]:
        try:
            return call()
        except (DatabaseError, InterfaceError, OSError) as error:
            mapped = translate(error)
            if mapped is None:
                raise
            self.discard()
            raise mapped from error

    def ping(self) -> None:
        self.run_read("SELECT 1")

    def warm_up(self) -> None:
        """Connects (and so migrates) at start when it can; a database that is not up yet is
        fine, the first request or readiness probe tries again."""
        try:
            self.ping()
        except (DependencyUnavailable, DependencyTimeout) as error:
            log.warning("database not reachable at start, will retry on demand: %s", error)

    def discard(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            self._close(conn)

    def close_all(self) -> None:
        with self._all_lock:
            conns = list(self._all)
        for conn in conns:
            self._close(conn)

    def _connection(self) -> pg8000.native.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            self._local.statements = {}  # prepared statements live and die with their conn
        return conn

    def _open(self) -> pg8000.native.Connection:
        s = self._settings
        try:
            conn = _connect(s)
        except (DatabaseError, InterfaceError, OSError) as error:
            log.warning("cannot connect to the database: %s", error)
            raise (translate(error) or DependencyUnavailable(_UNAVAILABLE)) from error
        try:
            self._ensure_migrated(conn)
        except (DatabaseError, InterfaceError, OSError) as error:
            self._close(conn)
            log.warning("cannot migrate the database: %s", error)
            raise (translate(error) or DependencyUnavailable(_UNAVAILABLE)) from error
        with self._all_lock:
            self._all.add(conn)
        return conn

    def _ensure_migrated(self, conn: pg8000.native.Connection) -> None:
        if self._migrated.is_set():
            return
        with self._migrate_lock:
            if not self._migrated.is_set():
                self._migrate(conn)
                self._migrated.set()

    def _close(self, conn: pg8000.native.Connection) -> None:
        with self._all_lock:
            self._all.discard(conn)
        with contextlib.suppress(Exception):  # the connection is being thrown away anyway
            conn.close()


def _connect(s: DbSettings) -> pg8000.native.Connection:
    # pg8000 leaves Nagle's algorithm on: a statement larger than its write buffer leaves in
    # two segments and the second waits for the server's delayed ACK, which would stall every
    # large statement (billing's batched INSERT above all) by tens of milliseconds.
    sock = socket.create_connection((s.host, s.port), s.timeout_seconds)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return pg8000.native.Connection(
            s.user,
            sock=sock,
            database=s.name,
            password=s.password or None,
            timeout=s.timeout_seconds,
            application_name=s.application_name,
            startup_params={"statement_timeout": str(s.statement_timeout_ms)},
        )
    except BaseException:
        sock.close()
        raise


def migrate_with_lock(conn: pg8000.native.Connection, lock_key: int, statements: list[str]) -> None:
    """Applies idempotent DDL under an advisory lock so replicas starting together don't race."""
    conn.run("START TRANSACTION")
    try:
        conn.run("SELECT pg_advisory_xact_lock(:key)", key=lock_key)
        for statement in statements:
            conn.run(statement)
        conn.run("COMMIT")
    except BaseException:
        conn.run("ROLLBACK")
        raise
