"""A C2B till credit is refunded like an STK payment: reversed whole; B2C needs a real number."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.records import Channel
from checkout.domain.refunds import RefundFailure, RefundOutcome, RefundState
from checkout.refunds.effects import RefundEffects
from checkout.refunds.notices import RefundNotices
from checkout.refunds.rules import staff_actor
from checkout.refunds.sending import RefundSender
from checkout.till.ports import PayerChat
from checkout.till.records import TillPayment
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnits
from tests.refunds.conftest import RecordingGateway
from tests.refunds.test_desk import STAFF, make_desk


async def till_credit(uow: SqlUnits, clock: SettableClock, msisdn: str) -> None:
    async with uow() as unit:
        await unit.orders.create("WW-9", 800, known=True)
        await unit.till.credit(
            TillPayment("RKTQDM7W6S", 800, clock() - timedelta(hours=1), msisdn=msisdn),
            "WW-9",
            phone=msisdn,
            chat=PayerChat(Channel.TELEGRAM, "5001", "sw"),
            now=clock() - timedelta(hours=1),
        )
        await unit.orders.record_paid("WW-9", 800)
        await unit.commit()


async def test_a_till_credit_is_reversed_whole(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk = make_desk(uow, clock)
    effects = RefundEffects(clock=clock, notices=RefundNotices(clock=clock, staff=STAFF))
    sender = RefundSender(uow, gateway, effects, desk, clock=clock)
    await till_credit(uow, clock, "2547****5678")
    asked = await desk.request("RKTQDM7W6S", amount=None, reason=None, by=staff_actor(1))
    assert asked.outcome is RefundOutcome.REQUESTED
    assert asked.refund is not None
    await desk.approve(asked.refund.id, user_id=2)
    await sender.one_pass()
    assert gateway.calls == [("reverse", {"receipt": "RKTQDM7W6S", "amount": 800})]


async def test_a_part_refund_of_a_masked_number_cannot_go_by_b2c(uow: SqlUnits) -> None:
    clock = SettableClock()
    gateway = RecordingGateway()
    desk = make_desk(uow, clock)
    effects = RefundEffects(clock=clock, notices=RefundNotices(clock=clock, staff=STAFF))
    sender = RefundSender(uow, gateway, effects, desk, clock=clock)
    await till_credit(uow, clock, "2547****5678")
    asked = await desk.request("RKTQDM7W6S", amount=300, reason=None, by=staff_actor(1))
    assert asked.refund is not None
    await desk.approve(asked.refund.id, user_id=2)
    await sender.one_pass()
    assert gateway.calls == []
    view = await desk.get(asked.refund.id)
    assert view is not None
    assert view.refund.state is RefundState.FAILED
    assert view.refund.failure is RefundFailure.NO_PHONE
