"""A customer who paid on the web page is told of their refund by SMS, where SMS is configured
(issue 15's leftover): the page has no chat, so the phone that paid gets the message."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from checkout.conversation.model import ButtonPressed, Command, TextMessage
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.domain.refunds import Refund, RefundMethod, RefundState, RefundView
from checkout.refunds.notices import RefundNotices
from lipa_testing.clocks import SettableClock
from tests.bnpl.conftest import BALANCE, ORDER, UowFactory, make_shop


async def _web_payment(uow: UowFactory) -> Payment:
    shop = make_shop(uow)
    async with uow() as unit:
        await unit.orders.create(ORDER, BALANCE, known=True)
        await unit.commit()
    await shop.say(Command("pay", ORDER), ButtonPressed("amount:3000"))
    await shop.say(TextMessage("0712345678"), ButtonPressed("pay"))
    await shop.settle_last(0)
    async with uow() as unit:
        [payment] = await unit.order_book.payments_for_order(ORDER)
        # Nothing queued so far is this test's concern.
        for message in await unit.outbox.claim_due(
            now=shop.clock() + timedelta(days=9), limit=100, lease_seconds=1
        ):
            await unit.outbox.mark_sent(message.id, now=shop.clock())
        await unit.commit()
    assert payment.status is PaymentStatus.PAID
    return replace(payment, channel=Channel.WEB, chat_key=ORDER, language="sw")


def _view(payment: Payment) -> RefundView:
    refund = Refund(
        id=7,
        payment_id=payment.id,
        order_reference=ORDER,
        receipt=payment.receipt_number or "-",
        amount=payment.amount,
        reason=None,
        requested_by="api",
        state=RefundState.COMPLETED,
        requested_at=payment.created_at,
        method=RefundMethod.REVERSAL,
        transaction_id="RV12345678",
    )
    return RefundView(refund, payment, None)


async def _queued(uow: UowFactory, clock: SettableClock) -> list[tuple[Channel, str, str]]:
    async with uow() as unit:
        claimed = await unit.outbox.claim_due(
            now=clock() + timedelta(days=9), limit=100, lease_seconds=1
        )
        await unit.commit()
    return [(m.channel, m.chat_key, str(m.payload["text"])) for m in claimed]


async def test_a_web_payer_gets_the_refund_by_sms_only_where_sms_is_configured(
    uow: UowFactory,
) -> None:
    payment = await _web_payment(uow)
    clock = SettableClock()
    for sms in (False, True):
        async with uow() as unit:
            await RefundNotices(clock=clock, staff=None, sms=sms).completed(unit, _view(payment))
            await unit.commit()
        queued = await _queued(uow, clock)
        if not sms:
            assert queued == []
            continue
        [(channel, chat_key, text)] = queued
        assert (channel, chat_key) == (Channel.USSD, "254712345678")
        assert ORDER in text
        assert "Oda" in text or "oda" in text  # in the payer's language, Swahili
