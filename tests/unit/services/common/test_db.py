"""Which driver errors a switchover produces, and which of them may be retried how."""

from __future__ import annotations

import pytest
from pg8000.exceptions import DatabaseError, InterfaceError

from services.common.db import (
    Failure,
    RetryPolicy,
    Safety,
    classify,
    is_connection_failure,
    may_retry,
    translate,
)
from services.common.errors import DependencyTimeout, DependencyUnavailable


def server_error(code: str, message: str = "") -> DatabaseError:
    # pg8000 raises a server's ErrorResponse as DatabaseError with its fields as a dict.
    return DatabaseError({"S": "ERROR", "C": code, "M": message})


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (
            server_error("25006", "cannot execute INSERT in a read-only tx"),
            Failure.REFUSED,
        ),
        (server_error("57P03", "the database system is starting up"), Failure.REFUSED),
        (server_error("53300", "sorry, too many clients already"), Failure.REFUSED),
        (
            server_error("57P01", "terminating connection"),
            Failure.BROKEN,
        ),
        (
            server_error("57P02", "crash of another server process"),
            Failure.BROKEN,
        ),
        (server_error("08006", "connection failure"), Failure.BROKEN),
        (server_error("08003"), Failure.BROKEN),
        (InterfaceError("network error"), Failure.BROKEN),
        (ConnectionResetError(104, "Connection reset by peer"), Failure.BROKEN),
        (ConnectionRefusedError(111, "Connection refused"), Failure.BROKEN),
        (TimeoutError("timed out"), Failure.BROKEN),
        (server_error("57014", "canceling statement due to statement timeout"), Failure.TIMEOUT),
    ],
)
def test_switchover_errors_are_classified(error, failure):
    assert classify(error) is failure
    assert is_connection_failure(error) is (failure is not Failure.TIMEOUT)


@pytest.mark.parametrize(
    "error",
    [
        server_error("23505", "duplicate key value violates unique constraint"),
        server_error("23514", "violates check constraint"),
        server_error("42601", "syntax error"),
        server_error("28P01", "password authentication failed"),
        DatabaseError("no SQLSTATE at all"),
        ValueError("not a driver error"),
    ],
)
def test_errors_about_the_statement_are_not_failures_of_the_database(error):
    assert classify(error) is None
    assert translate(error) is None


def test_a_refused_statement_may_be_repeated_whatever_it_is():
    assert all(may_retry(Failure.REFUSED, safety) for safety in Safety)


def test_a_broken_session_repeats_reads_and_idempotent_writes_only():
    assert may_retry(Failure.BROKEN, Safety.READ)
    assert may_retry(Failure.BROKEN, Safety.IDEMPOTENT)
    assert not may_retry(Failure.BROKEN, Safety.ONCE)  # its commit is unknown


def test_a_timeout_is_never_repeated():
    assert not any(may_retry(Failure.TIMEOUT, safety) for safety in Safety)


def test_failures_answer_503_and_timeouts_504():
    assert isinstance(translate(server_error("25006")), DependencyUnavailable)
    assert isinstance(translate(InterfaceError("network error")), DependencyUnavailable)
    assert isinstance(translate(server_error("57014")), DependencyTimeout)


def test_backoff_grows_with_jitter_up_to_its_ceiling():
    policy = RetryPolicy(first_delay=0.1, most_delay=1.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, delays)


def test_the_default_budget_stays_inside_the_gateways_read_timeout():
    # The gateway waits 10 s for inventory; one attempt may take the 5 s socket timeout.
    assert RetryPolicy().budget_seconds + 5.0 < 10.0
