"""PostgreSQL access: one pg8000 connection per worker thread, replaced after a failure, and
statements retried across a primary switchover where repeating them is safe.

A switchover (CloudNativePG promoting a replica, a managed database failing over) drops every
connection to the old primary and points the service address at the new one; for a moment the
address may still reach a read-only standby. A failed connection is therefore never reused, and
a statement is sent again on a fresh one, a bounded number of times with backoff, when the
failure says that repeating it cannot write twice (see `may_retry`)."""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from services.common.config import Reader
from services.common.errors import DependencyTimeout, DependencyUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# SQLSTATEs of a server that refused the statement or the connection without running anything:
# a standby still answering where the primary was (25006 read_only_sql_transaction), a server
# starting, in recovery or full. Nothing was written, so anything may be sent again.
_REFUSED_STATES = ("25006", "57P03", "53300", "53400", "08001", "08004")
# SQLSTATEs that end the session mid-statement (57P01 admin_shutdown: pg_terminate_backend or
# a fast shutdown; 57P02 crash_shutdown; class 08: the connection broke): like a lost socket,
# a write under way may or may not have committed.
_BROKEN_STATES = ("08", "57P01", "57P02")
_TIMEOUT_STATE = "57014"
# Clients learn that the database is away, never why (auth errors and hosts stay in the log).
_UNAVAILABLE = "the database is unavailable"
DRIVER_ERRORS = (DatabaseError, InterfaceError, OSError)


class Failure(Enum):
    """What a failed statement tells about the data."""

    REFUSED = "refused"  # the server did not run it: nothing was written
    BROKEN = "broken"  # the session ended under it: a write may or may not have committed
    TIMEOUT = "timeout"  # statement_timeout cancelled it: rolled back, but the query is slow


class Safety(Enum):
    """How a statement may be repeated after a failure."""

    READ = "read"  # writes nothing
    IDEMPOTENT = "idempotent"  # running it twice leaves the rows and the answer as once does
    ONCE = "once"  # must not run twice: repeated only when it surely did not run


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with jittered exponential backoff: long enough to ride a switchover
    whose new primary answers within a few seconds, short enough that the gateway (10 s read
    timeout on inventory) still gets inventory's own 503 rather than timing out itself."""

    attempts: int = 5
    first_delay: float = 0.1
    most_delay: float = 1.0
    budget_seconds: float = 4.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.most_delay, self.first_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


_PROBE_RETRY = RetryPolicy(attempts=2, first_delay=0.0, most_delay=0.0, budget_seconds=1.0)


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
    retry: RetryPolicy = field(default_factory=RetryPolicy)

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


def classify(error: BaseException) -> Failure | None:
    """The kind of failure, or None for an error about the statement or its data (a
    constraint, bad SQL), which no retry can cure."""
    if isinstance(error, InterfaceError | OSError):
        return Failure.BROKEN  # pg8000 raises InterfaceError for a reset or closed socket
    if not isinstance(error, DatabaseError):
        return None
    state = sqlstate(error)
    if state == _TIMEOUT_STATE:
        return Failure.TIMEOUT
    if state in _REFUSED_STATES:
        return Failure.REFUSED
    if state.startswith(_BROKEN_STATES):
        return Failure.BROKEN
    return None


def may_retry(failure: Failure, safety: Safety) -> bool:
    """Whether a statement that failed so may be sent again on a fresh connection.

    A broken session leaves a write's commit unknown (the connection may have died during
    COMMIT): only a read or an idempotent write is repeated then, a write that must run once
    is answered 503 instead, which promises nothing. A timeout is not repeated: the statement
    itself is slow."""
    if failure is Failure.REFUSED:
        return True
    if failure is Failure.BROKEN:
        return safety is not Safety.ONCE
    return False


def is_connection_failure(error: BaseException) -> bool:
    return classify(error) in (Failure.REFUSED, Failure.BROKEN)


def translate(error: BaseException) -> Exception | None:
    """Maps a driver error to the service-level error a resource answers with, if any."""
    failure = classify(error)
    if failure is Failure.TIMEOUT:
        return DependencyTimeout("the database did not answer in time")
    if failure is not None:
        return DependencyUnavailable(_UNAVAILABLE)
    return None


Migration = Callable[[pg8000.native.Connection], None]


class _ConnectFailed(Exception):
    """Opening a connection failed: no statement was sent, so any may be tried again."""


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
        """Runs one write that must not happen twice, as its own transaction: repeated only
        when the server surely did not run it; failures become 503/504."""
        return self._with_retries(lambda conn: conn.run(sql, **params), Safety.ONCE)

    def run_idempotent(self, sql: str, **params: Any) -> list[list[Any]]:
        """Runs one write whose repetition changes nothing (an upsert keyed by a unique id),
        as its own transaction, repeated on a fresh connection even when its commit is unknown."""
        return self._with_retries(lambda conn: conn.run(sql, **params), Safety.IDEMPOTENT)

    def run_read(self, sql: str, **params: Any) -> list[list[Any]]:
        """Runs one read, repeated on a fresh connection after a connection failure: a
        connection the server dropped while idle is only noticed when it is next used.

        The statement is prepared once per connection: pg8000 runs an
        unprepared one in three round trips to the server (parse, describe, execute), a
        prepared one in one."""
        return self._with_retries(lambda conn: self._prepared(conn, sql).run(**params), Safety.READ)

    def _prepared(
        self, conn: pg8000.native.Connection, sql: str
    ) -> pg8000.native.PreparedStatement:
        statements: dict[str, pg8000.native.PreparedStatement] = self._local.statements
        statement = statements.get(sql)
        if statement is None:
            statement = statements[sql] = conn.prepare(sql)
        return statement

    def _with_retries(
        self,
        call: Callable[[pg8000.native.Connection], T],
        safety: Safety,
        policy: RetryPolicy | None = None,
    ) -> T:
        policy = policy or self._settings.retry
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return self._attempt(call, safety)
            except _Retry as retry:
                delay = policy.delay(attempt)
                spent = time.monotonic() - started
                if attempt >= policy.attempts or spent + delay > policy.budget_seconds:
                    raise retry.answer from retry.__cause__
                log.warning(
                    "database call failed, retrying in %.2fs (attempt %d): %s",
                    delay, attempt, retry.__cause__,
                )  # fmt: skip
                time.sleep(delay)
                attempt += 1

    def _attempt(self, call: Callable[[pg8000.native.Connection], T], safety: Safety) -> T:
        try:
            conn = self._connection()
        except _ConnectFailed as failed:
            error = failed.__cause__ or failed
            answer = translate(error) or DependencyUnavailable(_UNAVAILABLE)
            if classify(error) is None:  # refused credentials or a broken migration: no cure
                raise answer from error
            raise _Retry(answer) from error  # nothing was sent: safe to try again
        try:
            return call(conn)
        except DRIVER_ERRORS as error:
            failure = classify(error)
            if failure is None:
                raise
            self.discard()  # never hand out a connection that failed once
            mapped = translate(error)
            assert mapped is not None  # every Failure maps to 503 or 504
            if may_retry(failure, safety):
                raise _Retry(mapped) from error
            raise mapped from error

    def ping(self) -> None:
        """For readiness: answers now, so it tries a second connection at once (the first may
        have been dropped while idle) but does not wait for a database that is away."""
        self._with_retries(lambda conn: conn.run("SELECT 1"), Safety.READ, _PROBE_RETRY)

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
        except DRIVER_ERRORS as error:
            log.warning("cannot connect to the database: %s", error)
            raise _ConnectFailed() from error
        try:
            self._ensure_migrated(conn)
        except DRIVER_ERRORS as error:
            self._close(conn)
            log.warning("cannot migrate the database: %s", error)
            raise _ConnectFailed() from error
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


class _Retry(Exception):
    """One attempt failed in a way that another may cure; `answer` is what the caller gets
    when no attempt is left."""

    def __init__(self, answer: Exception) -> None:
        super().__init__(str(answer))
        self.answer = answer


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
        with contextlib.suppress(*DRIVER_ERRORS):  # a broken connection cannot roll back
            conn.run("ROLLBACK")
        raise
