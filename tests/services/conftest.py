"""Fixtures shared by every test: the real servers, checked once, and per-run names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.backends import Database, QueueName, check_reachable, unique
from tests.harness.stack import Stack

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/services needs the real servers: `-m "not integration"`
    leaves it out of a run that collects more than this folder."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _real_servers() -> None:
    problem = check_reachable()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def queue() -> Iterator[QueueName]:
    name = QueueName(unique("billing_queue"))
    yield name
    name.delete()


@pytest.fixture(scope="module")
def inventory_db() -> Iterator[Database]:
    db = Database.create("movies_inventory")
    yield db
    db.drop()


@pytest.fixture(scope="module")
def billing_db() -> Iterator[Database]:
    db = Database.create("movies_billing")
    yield db
    db.drop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """All three services as real processes, for one test module."""
    running = Stack.create(Path(tmp_path_factory.mktemp("stack")))
    try:
        yield running.start()
    finally:
        running.destroy()
