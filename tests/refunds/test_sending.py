"""Sending approved refunds once, and what their results do, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.records import AuditKind, Channel, OrderStatus
from checkout.domain.refunds import RefundFailure, RefundMethod, RefundState
from checkout.refunds.effects import RefundEffects
from checkout.refunds.notices import RefundNotices
from checkout.refunds.ports import CallAnswer, CallOutcome, RefundResult
from checkout.refunds.results import RefundResults, Taken
from checkout.refunds.rules import staff_actor
from checkout.refunds.sending import RefundSender
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnits
from tests.refunds.conftest import RecordingGateway
from tests.refunds.test_desk import STAFF, make_desk, paid


def parts(uow: SqlUnits, clock: SettableClock, gateway: RecordingGateway):
    desk = make_desk(uow, clock)
    effects = RefundEffects(clock=clock, notices=RefundNotices(clock=clock, staff=STAFF))
    sender = RefundSender(uow, gateway, effects, desk, clock=clock)
    results = RefundResults(
        uow, effects, clock=clock, b2c_available=gateway.b2c_available, on_requeued=sender.wake
    )
    return desk, sender, results


async def approved(desk, amount: int | None = None) -> int:
    asked = await desk.request("NLJ7RT61SV", amount=amount, reason=None, by=staff_actor(1))
    assert asked.refund is not None
    await desk.approve(asked.refund.id, user_id=2)
    return asked.refund.id


def result(code: int, conversation: str, **parameters: object) -> RefundResult:
    return RefundResult(
        originator_id=None,
        conversation_id=conversation,
        result_code=code,
        result_code_text=None,
        description="done" if code == 0 else "refused",
        transaction_id="RFD1234567" if code == 0 else None,
        parameters=parameters,  # type: ignore[arg-type]
    )


async def test_a_whole_refund_is_reversed_once_and_completes_the_order(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, results = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk)
    await sender.one_pass()
    await sender.one_pass()  # nothing more to send
    assert gateway.calls == [("reverse", {"receipt": "NLJ7RT61SV", "amount": 1000})]
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.state is RefundState.SENT
    assert view.refund.method is RefundMethod.REVERSAL

    taken = await results.take(result(0, "conv-rev"))
    assert taken is Taken.COMPLETED
    assert await results.take(result(0, "conv-rev")) is Taken.UNKNOWN  # finished: not in flight
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.state is RefundState.COMPLETED
    assert view.refund.transaction_id == "RFD1234567"
    assert view.order is not None
    assert view.order.status is OrderStatus.REFUNDED
    assert view.order.amount_paid == 0
    async with uow() as unit:
        messages = await unit.outbox.claim_due(
            now=clock() + timedelta(days=1), limit=100, lease_seconds=1
        )
        trail = await unit.reports.audit_for([view.payment.id])
    customer = [m for m in messages if m.channel is Channel.TELEGRAM and m.chat_key == "5001"]
    assert len(customer) == 1
    assert "KES 1,000 for order WW-1042 is on its way back to 0712 345 678" in str(
        customer[0].payload["text"]
    )
    kinds = [entry.kind for entry in trail]
    assert AuditKind.REFUND_REQUESTED.value in kinds
    assert AuditKind.REFUND_COMPLETED.value in kinds


async def test_a_part_refund_goes_by_b2c_and_leaves_a_balance(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, results = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk, 400)
    await sender.one_pass()
    [(kind, call)] = gateway.calls
    assert kind == "b2c"
    assert call["phone"] == "254712345678"
    assert call["amount"] == 400
    assert await results.take(result(0, "conv-b2c")) is Taken.COMPLETED
    view = await desk.get(refund_id)
    assert view is not None
    assert view.order is not None
    assert view.order.status is OrderStatus.PARTLY_PAID
    assert view.order.balance == 400


async def test_a_part_refund_without_b2c_fails_with_the_reason(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway(b2c_available=False)
    desk, sender, _ = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk, 400)
    await sender.one_pass()
    assert gateway.calls == []
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.state is RefundState.FAILED
    assert view.refund.failure is RefundFailure.NO_B2C


async def test_a_failed_reversal_falls_back_to_b2c(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway(
        reverse_answer=CallAnswer(CallOutcome.REFUSED, code="400.002.02", description="Invalid")
    )
    desk, sender, _ = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk)
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["reverse", "b2c"]
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.method is RefundMethod.B2C
    assert view.refund.state is RefundState.SENT


async def test_a_reversal_result_that_fails_goes_to_b2c_and_float_failure_is_told(
    uow: SqlUnits,
) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, results = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk)
    await sender.one_pass()
    assert await results.take(result(17, "conv-rev")) is Taken.RETRY_B2C
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["reverse", "b2c"]
    assert await results.take(result(1, "conv-b2c")) is Taken.FAILED
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.failure is RefundFailure.INSUFFICIENT_FLOAT
    assert view.order is not None
    assert view.order.status is OrderStatus.PAID


async def test_a_queue_timeout_is_asked_about_never_sent_again(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, results = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk)
    await sender.one_pass()
    timeout = RefundResult(None, "conv-rev", None, "SVC0001", "queue timeout", timed_out=True)
    assert await results.take(timeout) is Taken.CHECKING
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["reverse", "status"]
    answer = result(0, "conv-status", TransactionStatus="Completed", ReceiptNo="RFD7654321")
    assert await results.take(answer) is Taken.COMPLETED
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.transaction_id == "RFD7654321"


async def test_a_sender_that_dies_after_calling_never_sends_again(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, _ = parts(uow, clock, gateway)
    await paid(uow, clock)
    refund_id = await approved(desk)
    # A sender claims it and records the call, then dies before Daraja's answer is stored.
    async with uow() as unit:
        [claimed] = await unit.refunds.claim_approved(now=clock(), lease_seconds=60, limit=5)
        assert await unit.refunds.start_call(
            claimed.id, method=RefundMethod.REVERSAL, originator_id="x", now=clock()
        )
        await unit.commit()
    clock.advance(seconds=61)
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["status"]
    view = await desk.get(refund_id)
    assert view is not None
    assert view.refund.state is RefundState.SENT


async def test_a_sender_that_dies_before_calling_hands_the_refund_on(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk, sender, _ = parts(uow, clock, gateway)
    await paid(uow, clock)
    await approved(desk)
    async with uow() as unit:
        await unit.refunds.claim_approved(now=clock(), lease_seconds=60, limit=5)
        await unit.commit()
    await sender.one_pass()
    assert gateway.calls == []  # held by the dead sender's lease
    clock.advance(seconds=61)
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["reverse"]
