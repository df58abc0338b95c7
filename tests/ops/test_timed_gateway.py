"""Every Daraja call the services make is timed, with how it ended."""

from __future__ import annotations

import itertools

import pytest

from checkout.domain.outcomes import PushProblem
from checkout.payments.gateway import PaymentResult, PushFailed, QueryAnswer
from lipa.timed_gateway import TimedGateway
from lipa_testing.gateway import FakeGateway, paid


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, float, str]] = []

    def __call__(self, operation: str, seconds: float, result: str) -> None:
        self.calls.append((operation, seconds, result))


def timed(gateway: FakeGateway, recorder: Recorder) -> TimedGateway:
    ticks = itertools.count(0.0, 0.25)  # each reading of the timer is 0.25 s after the last
    return TimedGateway(gateway, recorder, timer=lambda: next(ticks))


async def test_an_accepted_push_and_its_failures_are_timed() -> None:
    gateway, recorder = FakeGateway(), Recorder()
    wrapped = timed(gateway, recorder)
    accepted = await wrapped.stk_push(
        phone="254712345678", amount=5, reference="R", description="d"
    )
    assert accepted.checkout_request_id == "ws_CO_1"
    gateway.fail_with = PushFailed(PushProblem.SUBSCRIBER_LOCKED, "locked")
    with pytest.raises(PushFailed):
        await wrapped.stk_push(phone="254712345678", amount=5, reference="R", description="d")
    assert recorder.calls == [
        ("stk_push", 0.25, "ok"),
        ("stk_push", 0.25, "subscriber_locked"),
    ]
    assert len(gateway.pushes) == 2


async def test_queries_are_timed_as_final_pending_or_failed() -> None:
    gateway, recorder = FakeGateway(), Recorder()
    wrapped = timed(gateway, recorder)
    gateway.answers["ws_1"] = QueryAnswer(paid("ws_1", 5))
    final = await wrapped.stk_query("ws_1")
    assert isinstance(final.result, PaymentResult)
    assert (await wrapped.stk_query("ws_2")).result is None
    gateway.query_failure = PushFailed(PushProblem.UNAVAILABLE, "down")
    with pytest.raises(PushFailed):
        await wrapped.stk_query("ws_3")
    assert [(op, result) for op, _, result in recorder.calls] == [
        ("stk_query", "ok"),
        ("stk_query", "pending"),
        ("stk_query", "unavailable"),
    ]
