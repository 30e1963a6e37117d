"""The fault suite's own judge: a scenario must fail when an order is lost or doubled.

A fault scenario that cannot fail proves nothing, so the counting it relies on is tested
here on its own, without services.
"""

from __future__ import annotations

import time

from faults.flow import Flow
from faults.report import table
from faults.result import Result, account_orders


def judged(acknowledged: set[int], stored: list[int]) -> Result:
    result = Result("probe", "claim")
    account_orders(result, sent=5, acknowledged=acknowledged, stored_user_ids=stored)
    return result


def test_every_acknowledged_order_stored_once_passes():
    result = judged({1, 2, 3}, [1, 2, 3])
    assert result.passed
    assert (result.figures.acknowledged, result.figures.stored) == (3, 3)


def test_an_acknowledged_order_missing_fails():
    result = judged({1, 2, 3}, [1, 3])
    assert not result.passed
    assert result.figures.lost == 1
    assert "[2]" in result.failures[0]


def test_an_order_stored_twice_fails():
    result = judged({1, 2}, [1, 2, 2])
    assert not result.passed
    assert result.figures.duplicates == 1


def test_a_refused_order_that_was_stored_is_noted_not_failed():
    result = judged({1}, [1, 4])
    assert result.passed
    assert "1 orders not answered 200 were stored anyway" in result.notes


def test_a_failed_scenario_shows_as_fail_in_the_table():
    result = judged({1}, [])
    assert "**FAIL**" in table([result])


def test_flow_sends_each_key_once_and_stops_at_its_total():
    flow = Flow(lambda _session, _key: 200, total=50, workers=4).start().join()
    assert sorted(a.key for a in flow.answers) == list(range(1, 51))
    assert flow.keys_with(200) == set(range(1, 51))


def test_flow_keeps_its_rate_and_can_be_stopped_early():
    flow = Flow(lambda _session, _key: 503, total=10_000, rate=100, workers=2).start()
    time.sleep(0.5)
    flow.stop()
    assert 20 <= len(flow.answers) <= 80  # about 50 in half a second at 100/s
    assert flow.statuses()[503] == len(flow.answers)
