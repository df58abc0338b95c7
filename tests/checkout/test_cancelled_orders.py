"""A cancelled order is closed on every way to pay: typed, a stale Pay button, USSD, WhatsApp,
and the paybill (C2B), where its reference is no account any more. English and Swahili."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from checkout.conversation.model import ButtonPressed, Step, TextMessage
from checkout.domain.callbacks import MENU_PAY, PAY
from checkout.domain.outcomes import PaymentRefused, Refusal
from checkout.domain.records import Channel, OrderStatus
from checkout.i18n.payments.messages import refusal_reply
from checkout.i18n.payments.order_closed import order_cancelled
from checkout.till.matching import MatchKind, find_match
from checkout.till.records import TillPayment
from checkout.till.validate import TillValidation, Verdict
from storage.unit_of_work import SqlUnitOfWork
from tests.checkout.test_flow import Chat, FakeContext, order, texts
from tests.checkout.test_paid_orders import Shop

UowFactory = Callable[[], SqlUnitOfWork]
CANCELLED = (
    "Order WW-4001 was cancelled, so it cannot be paid. "
    "If you still want it, ask us for a new order."
)


@pytest.fixture
def shop(uow: UowFactory) -> Shop:
    return Shop(uow)


async def list_order(shop: Shop, reference: str = "WW-4001", amount: int = 700) -> None:
    async with shop.uow() as unit:
        await unit.order_book.create_if_absent(
            reference, amount, description=None, customer_phone="254712345678", now=shop.clock()
        )
        await unit.commit()


async def cancel(shop: Shop, reference: str = "WW-4001") -> None:
    async with shop.uow() as unit:
        closed = await unit.order_book.cancel(reference, now=shop.clock())
        await unit.commit()
    assert closed is not None
    assert closed.status is OrderStatus.CANCELLED


async def test_typing_its_reference_in_the_flow_says_it_was_cancelled() -> None:
    cancelled = order("WW-4001", 700, 0)
    chat = Chat(FakeContext(replace(cancelled, status=OrderStatus.CANCELLED)))
    await chat.reach(Step.ORDER)
    turn = await chat.text("WW-4001")
    assert texts(turn)[0] == CANCELLED
    assert chat.state.step is Step.IDLE


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.USSD, Channel.WHATSAPP])
async def test_every_chat_channel_refuses_it_and_sends_no_push(
    shop: Shop, channel: Channel
) -> None:
    await list_order(shop)
    await cancel(shop)
    said = await shop.say(channel, "254700000001", ButtonPressed(MENU_PAY), TextMessage("WW-4001"))
    assert said[0] == CANCELLED
    assert shop.gateway.pushes == []


async def test_a_stale_confirmation_sends_no_push_in_either_language(shop: Shop) -> None:
    """A chat at the confirmation when the platform cancels: Pay refuses it."""
    await list_order(shop)
    steps = (ButtonPressed(MENU_PAY), TextMessage("WW-4001"), TextMessage("700"))
    await shop.say(Channel.TELEGRAM, "44", *steps, TextMessage("0712345678"))
    await cancel(shop)
    said = await shop.say(Channel.TELEGRAM, "44", ButtonPressed(PAY))
    assert said == [CANCELLED]
    assert shop.gateway.pushes == []
    async with shop.uow() as unit:
        assert list(await unit.order_book.payments_for_order("WW-4001")) == []
    swahili = refusal_reply("sw", PaymentRefused(Refusal.ORDER_CANCELLED, "WW-4001")).text
    assert swahili == order_cancelled("sw", "WW-4001")
    assert "ilighairiwa" in swahili


async def test_the_paybill_refuses_its_reference_as_it_refuses_an_unknown_one(
    shop: Shop,
) -> None:
    await list_order(shop)
    await list_order(shop, "WW-4002")
    await cancel(shop)
    strict = TillValidation(shop.uow, reject_unknown_accounts=True)
    assert await strict.decide("ww-4001", 700) is Verdict.UNKNOWN_ACCOUNT
    assert await strict.decide("WW-4002", 700) is Verdict.ACCEPT
    lenient = TillValidation(shop.uow, reject_unknown_accounts=False)
    assert await lenient.decide("WW-4001", 700) is Verdict.ACCEPT  # as for any typo


async def test_money_paid_to_its_reference_is_not_credited_to_it(shop: Shop) -> None:
    """Neither by the account typed nor by the payer's phone: it is the staff's to place."""
    await list_order(shop)
    await cancel(shop)
    now = shop.clock()
    paid = TillPayment("RKTQDM7W6S", 700, now, account="WW-4001", msisdn="254712345678")
    async with shop.uow() as unit:
        found = await find_match(
            unit, paid, now=now, window=timedelta(days=7), pending_window=timedelta(minutes=5)
        )
    assert found.kind is MatchKind.NONE
    await list_order(shop, "WW-4003")
    other = TillPayment("RKTQDM7W6T", 700, now, account="WW-4003", msisdn="254712345678")
    async with shop.uow() as unit:
        found = await find_match(
            unit, other, now=now, window=timedelta(days=7), pending_window=timedelta(minutes=5)
        )
    assert (found.kind, found.order is not None and found.order.reference) == (
        MatchKind.ACCOUNT,
        "WW-4003",
    )
