"""The publisher's retry rule, with the broker's failures raised where a publish would raise
them (the real broker's nacks and resets are in tests/services/gateway/test_publisher.py)."""

from __future__ import annotations

import pytest
from amqp.exceptions import ChannelError, MessageNacked

from services.common.broker import BrokerSettings, QueueMismatch
from services.common.errors import DependencyUnavailable
from services.gateway.publisher import PUBLISH_ATTEMPTS, OrderPublisher

SETTINGS = BrokerSettings("broker.invalid", 5672, "/", "u", "p", "billing_queue")


class ScriptedPublisher(OrderPublisher):
    """Each try raises the next scripted error (None: the broker confirmed)."""

    def __init__(self, outcomes: list[BaseException | None], timeout: float = 5.0) -> None:
        super().__init__(SETTINGS, timeout=timeout)
        self.outcomes = outcomes
        self.tries: list[str] = []

    def _publish_once(self, body: bytes, message_id: str, request_id: str) -> None:
        self.tries.append(message_id)
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


def test_a_nack_then_a_reset_are_retried_with_the_same_message_id():
    publisher = ScriptedPublisher([MessageNacked(), ConnectionResetError(), None])
    publisher.publish(b"{}", message_id="m-1", request_id="r")
    assert publisher.tries == ["m-1"] * 3


@pytest.mark.parametrize(
    "error", [MessageNacked(), ConnectionResetError(), TimeoutError(), ChannelError("closed")]
)
def test_a_broker_that_keeps_failing_is_a_503_after_a_bounded_number_of_tries(error):
    publisher = ScriptedPublisher([error] * PUBLISH_ATTEMPTS)
    with pytest.raises(DependencyUnavailable, match="did not take the order"):
        publisher.publish(b"{}", message_id="m-1", request_id="r")
    assert len(publisher.tries) == PUBLISH_ATTEMPTS


def test_no_retry_once_the_publish_timeout_is_spent():
    publisher = ScriptedPublisher([TimeoutError(), None], timeout=0.0)
    with pytest.raises(DependencyUnavailable):
        publisher.publish(b"{}", message_id="m-1", request_id="r")
    assert publisher.tries == ["m-1"]


def test_a_queue_this_version_cannot_use_is_a_503_saying_so_without_retries():
    publisher = ScriptedPublisher([QueueMismatch("queue 'billing_queue' ... drain it")])
    with pytest.raises(DependencyUnavailable, match="drain it"):
        publisher.publish(b"{}", message_id="m-1", request_id="r")
    assert publisher.tries == ["m-1"]
