"""An order paid in full is closed on every channel, typed references and stale buttons included."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from checkout.conversation import flow
from checkout.conversation.model import ButtonPressed, Event, ReportOrderPaid, Step, TextMessage
from checkout.conversation.replying import chat_conversations
from checkout.conversation.service import ConversationService
from checkout.domain.callbacks import MENU_PAY, PAY
from checkout.domain.outcomes import PaymentRefused, Refusal
from checkout.domain.records import Channel, OrderStatus
from checkout.i18n.payments.messages import refusal_reply
from checkout.payments.gateway import PaymentResult
from checkout.payments.settling.settle import SettlementService, StaffChat
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, paid
from storage.unit_of_work import SqlUnitOfWork
from tests.checkout.test_flow import Chat, FakeContext, order, texts

UowFactory = Callable[[], SqlUnitOfWork]
PAID_IN_FULL = "Order WW-2001 is already fully paid. Thank you!"


class TestTheFlow:
    async def test_a_typed_reference_paid_in_full_answers_already_fully_paid(self) -> None:
        chat = Chat(FakeContext(order("WW-2001", 700, 700, known=False)))
        await chat.reach(Step.ORDER)
        turn = await chat.text("WW-2001")
        assert texts(turn)[0] == PAID_IN_FULL
        assert chat.state.step is Step.IDLE

    async def test_a_stale_pay_button_after_the_order_is_paid_reports_it_paid(self) -> None:
        chat = Chat()
        await chat.reach(Step.PAYING)
        chat.ctx.orders["WW-1042"] = order("WW-1042", 2000, 2000)
        turn = await chat.press(PAY)
        assert turn.effects == (ReportOrderPaid("WW-1042"),)
        assert "already on its way" not in " ".join(texts(turn))
        assert chat.state.step is Step.IDLE

    async def test_a_second_pay_press_while_the_order_is_unpaid_still_says_on_its_way(
        self,
    ) -> None:
        chat = Chat()
        await chat.reach(Step.PAYING)
        turn = await chat.press(PAY)
        assert turn.effects == ()
        assert "already on its way" in texts(turn)[0]


class Shop:
    """The conversation, payment and settlement services on one database."""

    def __init__(self, uow: UowFactory) -> None:
        self.uow = uow
        self.clock = SettableClock()
        self.gateway = FakeGateway()
        self.settlement = SettlementService(uow, clock=self.clock, staff=StaffChat("-100"))
        self.payments = PaymentService(uow, self.gateway, self.settlement, clock=self.clock)
        self.chat = chat_conversations(
            ConversationService(uow, self.payments, flow.FlowSettings("Wildwash"), clock=self.clock)
        )

    async def say(self, channel: Channel, chat: str, *events: Event) -> list[str]:
        said: list[str] = []
        for event in events:
            replies = await self.chat.handle(channel, chat, event)
            said = [reply.text for reply in replies]
        return said

    async def pay_typed_reference(self) -> None:
        """Pay WW-2001, a reference the business never listed, KES 700 in full on Telegram."""
        await self.say(
            Channel.TELEGRAM,
            "42",
            ButtonPressed(MENU_PAY),
            TextMessage("WW-2001"),
            TextMessage("700"),
            TextMessage("0712345678"),
            ButtonPressed(PAY),
        )
        await self.settlement.settle(paid("ws_CO_1", 700), source="callback")
        async with self.uow() as unit:
            found = await unit.orders.get("WW-2001")
        assert found is not None
        assert (found.known, found.status) == (False, OrderStatus.PAID)


@pytest.fixture
def shop(uow: UowFactory) -> Shop:
    return Shop(uow)


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.USSD, Channel.DEMO])
async def test_a_typed_reference_paid_in_full_cannot_be_paid_again(
    shop: Shop, channel: Channel
) -> None:
    await shop.pay_typed_reference()
    said = await shop.say(channel, "254700000001", ButtonPressed(MENU_PAY), TextMessage("WW-2001"))
    assert said[0] == PAID_IN_FULL
    assert len(shop.gateway.pushes) == 1


async def test_a_payment_confirmed_before_the_typed_reference_was_paid_is_refused(
    shop: Shop,
) -> None:
    """A second chat at the confirmation when the first paid: pressing Pay sends no push."""
    second = (ButtonPressed(MENU_PAY), TextMessage("WW-2001"), TextMessage("700"))
    await shop.say(Channel.TELEGRAM, "43", *second, TextMessage("0722000000"))
    await shop.pay_typed_reference()
    said = await shop.say(Channel.TELEGRAM, "43", ButtonPressed(PAY))
    assert said == [PAID_IN_FULL]
    assert len(shop.gateway.pushes) == 1
    async with shop.uow() as unit:
        found = await unit.orders.get("WW-2001")
    assert found is not None
    assert (found.amount_due, found.amount_paid) == (700, 700)


async def test_a_stale_pay_button_after_paying_says_paid_with_the_receipt(shop: Shop) -> None:
    await shop.pay_typed_reference()
    said = await shop.say(Channel.TELEGRAM, "42", ButtonPressed(PAY))
    assert said == [
        "Order WW-2001 is already fully paid. Your last payment: KES 700, "
        "M-Pesa receipt NLJ7RT61SV. Thank you!"
    ]
    assert len(shop.gateway.pushes) == 1


async def test_a_stale_pay_button_before_the_receipt_is_known_says_it_will_follow(
    shop: Shop,
) -> None:
    await shop.say(
        Channel.TELEGRAM,
        "42",
        ButtonPressed(MENU_PAY),
        TextMessage("WW-2001"),
        TextMessage("700"),
        TextMessage("0712345678"),
        ButtonPressed(PAY),
    )
    # An STK Push Query's success carries no receipt.
    await shop.settlement.settle(PaymentResult("ws_CO_1", 0, "ok"), source="query")
    said = await shop.say(Channel.TELEGRAM, "42", ButtonPressed(PAY))
    assert said == [
        "Order WW-2001 is already fully paid. Your last payment: KES 700, "
        "M-Pesa receipt to follow. Thank you!"
    ]


class TestARefundedOrder:
    """Everything paid on it went back (a cancelled order): it is closed, as a paid one is."""

    REFUNDED = (
        "Order WW-3001 was refunded, so it cannot be paid again. "
        "If you still want it, ask us for a new order."
    )

    async def test_typing_its_reference_says_it_was_refunded(self) -> None:
        refunded = order("WW-3001", 700, 0)
        chat = Chat(FakeContext(replace(refunded, status=OrderStatus.REFUNDED)))
        await chat.reach(Step.ORDER)
        turn = await chat.text("WW-3001")
        assert texts(turn)[0] == self.REFUNDED
        assert chat.state.step is Step.IDLE

    async def test_a_stale_confirmation_sends_no_push(self, shop: Shop) -> None:
        """A chat at the confirmation when the refund completes: Pay refuses, in Swahili too."""
        async with shop.uow() as unit:
            await unit.orders.create("WW-3001", 700, known=True)
            await unit.commit()
        steps = (ButtonPressed(MENU_PAY), TextMessage("WW-3001"), TextMessage("700"))
        await shop.say(Channel.TELEGRAM, "44", *steps, TextMessage("0712345678"))
        async with shop.uow() as unit:
            await unit.orders.record_paid("WW-3001", 700)
            closed = await unit.refunds.take_back("WW-3001", 700, now=shop.clock())
            await unit.commit()
        assert closed.status is OrderStatus.REFUNDED
        said = await shop.say(Channel.TELEGRAM, "44", ButtonPressed(PAY))
        assert said == [self.REFUNDED]
        assert shop.gateway.pushes == []
        assert (
            "zilirudishwa"
            in refusal_reply("sw", PaymentRefused(Refusal.ORDER_REFUNDED, "WW-3001")).text
        )
