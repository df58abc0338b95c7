"""Push limits on real storage (SQLite and PostgreSQL): per phone, per sender, pauses, alerts.

Anyone in a chat can type any number; these tests are the attacker who does, and the
customer who cancels prompts, against the payment service wired as ``lipa.app`` wires it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rendering import present
from checkout.conversation import flow
from checkout.conversation.model import (
    ButtonPressed,
    Command,
    Event,
    StartPayment,
    TextMessage,
)
from checkout.conversation.replying import chat_conversations
from checkout.conversation.service import ConversationService
from checkout.domain.outcomes import PushRefused, RefusalReason, StartOutcome
from checkout.domain.records import Channel, Customer, PaymentStatus
from checkout.i18n.payments.refusals import refusal_text
from checkout.payments.limits import PushLimiter, PushLimits
from checkout.payments.settling.settle import SettlementService, StaffChat
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, failed, paid
from storage.database import create_engine, session_factory
from storage.models import PaymentRow
from storage.unit_of_work import SqlUnitOfWork, unit_of_work_factory

UowFactory = Callable[[], SqlUnitOfWork]
# 12:00 in Nairobi.
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
VICTIM = "254712345678"
STAFF = "-100"


@dataclass
class Desk:
    """The payment service with the default limits, on one database."""

    uow: UowFactory
    clock: SettableClock
    gateway: FakeGateway
    settlement: SettlementService
    payments: PaymentService
    orders: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def customer(self, chat_key: str) -> Customer:
        async with self.uow() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, chat_key, language="en", now=self.clock(), telegram_user_id=None
            )
            await unit.commit()
        return customer

    async def ask(self, phone: str = VICTIM, *, chat_key: str = "42") -> StartOutcome:
        """A person in chat ``chat_key`` asks for a push to ``phone`` for a new order."""
        customer = await self.customer(chat_key)
        request = StartPayment(f"T-{next(self.orders)}", 100, phone, order_known=False)
        return await self.payments.start(
            customer, "en", request, sender=f"telegram:{customer.chat_key}"
        )

    async def settle_last(self, code: int) -> None:
        """M-Pesa answers the latest push with ``code`` (0: paid)."""
        request = f"ws_CO_{len(self.gateway.pushes)}"
        result = paid(request, 100) if code == 0 else failed(request, code)
        await self.settlement.settle(result, source="callback")

    async def staff_messages(self) -> list[str]:
        """The staff messages queued since the last call (they are marked sent)."""
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=1), limit=500, lease_seconds=60
            )
            for message in claimed:
                await unit.outbox.mark_sent(message.id, now=self.clock())
            await unit.commit()
        return [str(message.payload["text"]) for message in claimed if message.chat_key == STAFF]


def make_desk(
    uow: UowFactory, limits: PushLimits | None = None, gateway: FakeGateway | None = None
) -> Desk:
    clock = SettableClock()
    gateway = gateway or FakeGateway()
    staff = StaffChat(STAFF)
    settlement = SettlementService(uow, clock=clock, staff=staff)
    limiter = PushLimiter(limits or PushLimits(), staff=staff)
    payments = PaymentService(uow, gateway, settlement, clock=clock, limiter=limiter)
    return Desk(uow, clock, gateway, settlement, payments)


@pytest.fixture
def desk(uow: UowFactory) -> Desk:
    return make_desk(uow)


async def statuses_to(uow: UowFactory, phone: str) -> list[PaymentStatus]:
    """The status of every payment stored for ``phone``."""
    async with uow() as unit:
        rows = await unit.session.scalars(
            select(PaymentRow.status).where(PaymentRow.phone == phone)
        )
        return [PaymentStatus(status) for status in rows]


class TestPerPhone:
    async def test_a_fourth_push_to_one_number_in_ten_minutes_is_refused_until_a_slot_frees(
        self, desk: Desk
    ) -> None:
        # Three different chat users, one victim: the number is what is limited.
        for chat in ("1", "2", "3"):
            assert not isinstance(await desk.ask(chat_key=chat), PushRefused)
            desk.clock.advance(minutes=1)
        refused = await desk.ask(chat_key="4")
        assert refused == PushRefused(
            RefusalReason.PHONE_LIMIT, START + timedelta(minutes=10), START + timedelta(minutes=3)
        )
        assert len(desk.gateway.pushes) == 3
        # Nothing was stored for the refused push, and it does not count.
        assert len(await statuses_to(desk.uow, VICTIM)) == 3
        desk.clock.now = START + timedelta(minutes=10, seconds=1)
        assert not isinstance(await desk.ask(chat_key="4"), PushRefused)
        assert len(desk.gateway.pushes) == 4

    async def test_other_numbers_are_not_held_back_by_one_numbers_limit(self, desk: Desk) -> None:
        for chat in ("1", "2", "3"):
            await desk.ask(chat_key=chat)
        assert isinstance(await desk.ask(chat_key="1"), PushRefused)
        assert not isinstance(await desk.ask("254700000001", chat_key="1"), PushRefused)


class TestPerSender:
    async def test_one_sender_gets_ten_pushes_an_hour_whatever_the_numbers(
        self, desk: Desk
    ) -> None:
        for number in range(10):
            assert not isinstance(await desk.ask(f"2547000000{number:02d}"), PushRefused)
            desk.clock.advance(minutes=2)
        refused = await desk.ask("254700000099")
        assert refused == PushRefused(
            RefusalReason.SENDER_LIMIT, START + timedelta(hours=1), START + timedelta(minutes=20)
        )
        assert len(desk.gateway.pushes) == 10
        # Someone else may still ask for a push to that number.
        assert not isinstance(await desk.ask("254700000099", chat_key="7"), PushRefused)

    async def test_the_staff_are_alerted_once_per_abusive_sender(self, desk: Desk) -> None:
        for number in range(10):
            await desk.ask(f"2547000000{number:02d}")
        await desk.staff_messages()  # the payments' own notices so far
        for number in range(10, 15):
            assert isinstance(await desk.ask(f"2547000000{number:02d}"), PushRefused)
        assert await desk.staff_messages() == [
            "Check: Telegram 42 asked for more than 10 M-Pesa prompts in 60 minutes "
            "(the last to 2547****0010). Their further pushes wait; this alert is sent once."
        ]
        # Another abusive sender is reported too; the first, an hour later, not again.
        for number in range(11):
            await desk.ask(f"2547111111{number:02d}", chat_key="9")
        desk.clock.advance(hours=2)
        for number in range(11):
            await desk.ask(f"2547222222{number:02d}")
        alerts = await desk.staff_messages()
        assert [alert.split(" asked")[0] for alert in alerts] == ["Check: Telegram 9"]


class TestPauseAfterCancellations:
    async def test_two_cancellations_in_a_row_pause_the_number_for_an_hour(
        self, desk: Desk
    ) -> None:
        await desk.ask()
        await desk.settle_last(1032)
        desk.clock.advance(minutes=5)
        await desk.ask()
        desk.clock.advance(minutes=1)
        await desk.settle_last(1032)
        cancelled_at = desk.clock()
        # Well past the per-phone window: only the pause holds the number back.
        desk.clock.advance(minutes=30)
        refused = await desk.ask(chat_key="5")
        assert refused == PushRefused(
            RefusalReason.PHONE_PAUSED, cancelled_at + timedelta(hours=1), desk.clock()
        )
        assert len(desk.gateway.pushes) == 2
        desk.clock.now = cancelled_at + timedelta(hours=1, seconds=1)
        assert not isinstance(await desk.ask(chat_key="5"), PushRefused)

    @pytest.mark.parametrize("between", [0, 1037, 1])
    async def test_a_success_or_another_outcome_between_cancellations_breaks_the_run(
        self, desk: Desk, between: int
    ) -> None:
        for code in (1032, between, 1032):
            await desk.ask()
            await desk.settle_last(code)
            desk.clock.advance(minutes=11)
        assert not isinstance(await desk.ask(), PushRefused)
        assert len(desk.gateway.pushes) == 4

    async def test_a_cancellation_after_a_success_starts_a_new_run(self, desk: Desk) -> None:
        for code in (1032, 0, 1032, 1032):
            await desk.ask()
            await desk.settle_last(code)
            desk.clock.advance(minutes=11)
        refused = await desk.ask()
        assert isinstance(refused, PushRefused)
        assert refused.reason is RefusalReason.PHONE_PAUSED


class TestInTheChat:
    """A refusal reaches the customer through the conversation and its Telegram presenter."""

    PAY_AN_ORDER: tuple[Event, ...] = (
        Command("pay"),
        TextMessage("table5"),
        TextMessage("700"),
        TextMessage("0712 345 678"),
        ButtonPressed("pay"),
    )

    async def test_the_customer_reads_why_and_how_long_to_wait_in_their_language(
        self, desk: Desk
    ) -> None:
        chat = chat_conversations(
            ConversationService(
                desk.uow, desk.payments, flow.FlowSettings("Wildwash"), clock=desk.clock
            )
        )
        for _ in range(3):
            for event in self.PAY_AN_ORDER:
                answer = await chat.answer(Channel.TELEGRAM, "42", event, telegram_user_id=42)
            assert answer.refused is None
            desk.clock.advance(minutes=3)
        for event in self.PAY_AN_ORDER:
            answer = await chat.answer(Channel.TELEGRAM, "42", event, telegram_user_id=42)
        assert answer.refused is not None
        assert present(answer)[-1].text == (
            "Too many M-Pesa prompts have gone to this number lately. "
            "Please wait 1 minute and try again (after 12:10)."
        )
        assert len(desk.gateway.pushes) == 3
        swahili = refusal_text("sw", answer.refused)
        assert swahili == (
            "Maombi mengi ya M-Pesa yametumwa kwa nambari hii hivi karibuni. "
            "Tafadhali subiri dakika 1 kisha ujaribu tena, baada ya "
            "saa sita na dakika 10 mchana (12:10)."
        )

    @pytest.mark.parametrize(
        ("reason", "minutes", "english"),
        [
            (
                RefusalReason.SENDER_LIMIT,
                59.5,
                "You have asked for too many M-Pesa prompts lately. "
                "Please wait 60 minutes and try again (after 13:00).",
            ),
            (
                RefusalReason.PHONE_PAUSED,
                181,
                "The last M-Pesa prompts to this number were cancelled, so we have paused them. "
                "Please wait 4 hours and try again (after 15:01).",
            ),
        ],
    )
    def test_each_refusal_reads_as_one_sentence(
        self, reason: RefusalReason, minutes: float, english: str
    ) -> None:
        refused = PushRefused(reason, START + timedelta(minutes=minutes), START)
        assert refusal_text("en", refused) == english


class TestAcrossProcesses:
    async def test_concurrent_starts_in_two_processes_never_pass_the_limit(
        self, database_url: str
    ) -> None:
        """Two services on their own engines (two processes) race for the last slots."""
        engines: list[AsyncEngine] = [create_engine(database_url) for _ in range(2)]
        try:
            daraja = FakeGateway()  # one Daraja for both
            desks = [
                make_desk(unit_of_work_factory(session_factory(engine)), gateway=daraja)
                for engine in engines
            ]
            # Every desk's orders distinct, so only the limit can refuse.
            desks[1].orders = itertools.count(1000)
            starts = [desks[number % 2].ask(chat_key=str(number)) for number in range(10)]
            outcomes: list[Any] = await asyncio.gather(*starts)
            passed = [outcome for outcome in outcomes if not isinstance(outcome, PushRefused)]
            assert len(passed) == 3
            assert len(daraja.pushes) == 3
            assert await statuses_to(desks[0].uow, VICTIM) == [PaymentStatus.PENDING] * 3
        finally:
            for engine in engines:
                await engine.dispose()
