"""The checkout services on the in-memory unit of work with an in-memory gateway."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from checkout.conversation import flow
from checkout.conversation.model import ButtonPressed, Command, Event, Reply, TextMessage
from checkout.conversation.replying import Conversations, chat_conversations
from checkout.conversation.service import ConversationService
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Channel, OrderStatus, PaymentStatus
from checkout.payments.gateway import PushFailed, QueryAnswer
from checkout.payments.settling.settle import SettlementService, SettleOutcome, StaffChat
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, failed, paid
from lipa_testing.memory_units import MemoryUnit, MemoryUnits

UowFactory = Callable[[], MemoryUnit]


@dataclass
class Shop:
    """Wired services around one database."""

    uow: UowFactory
    gateway: FakeGateway
    settlement: SettlementService
    payments: PaymentService
    chat: Conversations
    clock: SettableClock

    async def say(self, *events: Event, chat: str = "42") -> list[Reply]:
        replies: list[Reply] = []
        for event in events:
            replies = await self.chat.handle(Channel.TELEGRAM, chat, event, telegram_user_id=42)
        return replies

    async def outbox(self) -> list[dict[str, Any]]:
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=1), limit=100, lease_seconds=1
            )
        return [{"chat": m.chat_key, **m.payload} for m in claimed]


@pytest.fixture
def uow() -> MemoryUnits:
    """The in-memory unit of work (held to the databases by tests/contracts/)."""
    return MemoryUnits()


@pytest.fixture
async def shop(uow: UowFactory) -> Shop:
    clock = SettableClock()
    gateway = FakeGateway()
    settlement = SettlementService(uow, clock=clock, staff=StaffChat("-100"))
    payments = PaymentService(uow, gateway, settlement, clock=clock)
    chat = chat_conversations(
        ConversationService(uow, payments, flow.FlowSettings("Wildwash"), clock=clock)
    )
    async with uow() as unit:
        await unit.orders.create("WW-1042", 1500, known=True)
        await unit.commit()
    return Shop(uow, gateway, settlement, payments, chat, clock)


TO_CONFIRMATION: tuple[Event, ...] = (
    Command("start", "pay_WW-1042"),
    ButtonPressed("amount:1500"),
    TextMessage("0712 345 678"),
)


class TestPaying:
    async def test_a_customer_reaches_the_confirmation_and_pressing_pay_sends_one_push(
        self, shop: Shop
    ) -> None:
        confirmation = await shop.say(*TO_CONFIRMATION)
        assert "KES 1,500" in confirmation[-1].text
        replies = await shop.say(ButtonPressed("pay"))
        assert "PIN" in replies[-1].text
        assert shop.gateway.pushes == [
            {
                "phone": "254712345678",
                "amount": 1500,
                "reference": "WW-1042",
                "description": "Order payment",
            }
        ]
        async with shop.uow() as unit:
            payment = await unit.payments.by_checkout_request_id("ws_CO_1")
        assert payment is not None
        assert payment.status is PaymentStatus.PENDING

    async def test_pressing_pay_twice_sends_one_push(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        again = await shop.say(ButtonPressed("pay"))
        assert len(shop.gateway.pushes) == 1
        assert again
        assert "already" in again[-1].text

    async def test_many_concurrent_pay_presses_send_one_push(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION)
        await asyncio.gather(*(shop.say(ButtonPressed("pay")) for _ in range(8)))
        assert len(shop.gateway.pushes) == 1

    async def test_the_phone_is_remembered_for_next_time(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION)
        async with shop.uow() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, "42", language="en", now=shop.clock()
            )
        assert customer.phone == "254712345678"

    async def test_an_unknown_reference_becomes_an_order_with_the_typed_amount(
        self, shop: Shop
    ) -> None:
        await shop.say(
            Command("pay"), TextMessage("table5"), TextMessage("ksh 700"), TextMessage("0712345678")
        )
        await shop.say(ButtonPressed("pay"))
        async with shop.uow() as unit:
            order = await unit.orders.get("TABLE5")
        assert order is not None
        assert (order.known, order.amount_due, order.balance) == (False, 700, 700)


class TestPushFailures:
    @pytest.mark.parametrize(
        ("problem", "words"),
        [
            (PushProblem.SUBSCRIBER_LOCKED, "minute"),
            (PushProblem.UNAVAILABLE, "not answering"),
            (PushProblem.REFUSED, "could not start"),
            (PushProblem.BUSY, "busy"),
        ],
    )
    async def test_a_refused_push_fails_the_payment_and_offers_try_again(
        self, shop: Shop, problem: PushProblem, words: str
    ) -> None:
        shop.gateway.fail_with = PushFailed(problem, "500.001.1001 internal detail", code="x")
        replies = await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        reply = replies[-1]
        assert words in reply.text.lower()
        assert "500.001" not in reply.text
        assert [b.data for row in reply.buttons for b in row] == ["retry"]
        async with shop.uow() as unit:
            payment = await unit.payments.latest_for_chat(Channel.TELEGRAM, "42")
        assert payment is not None
        assert payment.status is PaymentStatus.FAILED

    async def test_try_again_after_a_failure_shows_the_confirmation_and_pushes_again(
        self, shop: Shop
    ) -> None:
        shop.gateway.fail_with = PushFailed(PushProblem.UNAVAILABLE, "down")
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        shop.gateway.fail_with = None
        confirmation = await shop.say(ButtonPressed("retry"))
        assert "KES 1,500" in confirmation[-1].text
        await shop.say(ButtonPressed("pay"))
        assert len(shop.gateway.pushes) == 2

    async def test_a_push_whose_outcome_is_unknown_stays_pending_without_a_retry_button(
        self, shop: Shop
    ) -> None:
        shop.gateway.fail_with = PushFailed(PushProblem.OUTCOME_UNKNOWN, "timeout")
        replies = await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        assert replies[-1].buttons == ()
        async with shop.uow() as unit:
            payment = await unit.payments.latest_for_chat(Channel.TELEGRAM, "42")
        assert payment is not None
        assert payment.status is PaymentStatus.PENDING


class TestSettling:
    async def _pending(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))

    async def test_a_success_pays_the_payment_and_the_order_and_queues_both_messages(
        self, shop: Shop
    ) -> None:
        await self._pending(shop)
        outcome = await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        assert outcome is SettleOutcome.SETTLED
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
            order = await unit.orders.get("WW-1042")
        assert payment is not None
        assert order is not None
        assert (payment.status, payment.receipt_number) == (PaymentStatus.PAID, "NLJ7RT61SV")
        assert (order.status, order.balance) == (OrderStatus.PAID, 0)
        messages = await shop.outbox()
        assert [m["chat"] for m in messages] == ["42", "-100"]
        assert "NLJ7RT61SV" in messages[0]["text"]
        assert "2547****5678" in messages[1]["text"]
        assert "0712" not in messages[1]["text"]

    async def test_a_duplicate_callback_changes_nothing_and_queues_nothing(
        self, shop: Shop
    ) -> None:
        await self._pending(shop)
        await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        again = await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        assert again is SettleOutcome.DUPLICATE
        assert len(await shop.outbox()) == 2
        async with shop.uow() as unit:
            order = await unit.orders.get("WW-1042")
        assert order is not None
        assert order.amount_paid == 1500

    async def test_a_contradicting_late_answer_is_recorded_and_alerts_the_staff(
        self, shop: Shop
    ) -> None:
        await self._pending(shop)
        await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        outcome = await shop.settlement.settle(failed("ws_CO_1", 1032), source="callback")
        assert outcome is SettleOutcome.CONFLICT
        messages = await shop.outbox()
        assert len(messages) == 3
        assert messages[2]["chat"] == "-100"
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
        assert payment is not None
        assert payment.status is PaymentStatus.PAID

    async def test_a_success_for_another_amount_is_mismatched_and_pays_nothing(
        self, shop: Shop
    ) -> None:
        await self._pending(shop)
        await shop.settlement.settle(paid("ws_CO_1", 1), source="callback")
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
            order = await unit.orders.get("WW-1042")
        assert payment is not None
        assert order is not None
        assert payment.status is PaymentStatus.MISMATCHED
        assert order.amount_paid == 0

    @pytest.mark.parametrize(
        ("code", "status", "words"),
        [
            (1032, PaymentStatus.CANCELLED, "cancel"),
            (1, PaymentStatus.FAILED, "balance"),
            (2001, PaymentStatus.FAILED, "pin"),
            (1037, PaymentStatus.FAILED, "phone"),
        ],
    )
    async def test_a_failure_tells_the_customer_why_with_a_try_again_button(
        self, shop: Shop, code: int, status: PaymentStatus, words: str
    ) -> None:
        await self._pending(shop)
        await shop.settlement.settle(failed("ws_CO_1", code), source="callback")
        message = (await shop.outbox())[0]
        assert words in message["text"].lower()
        assert message["buttons"] == [
            [{"label": "Try again", "data": "retry"}],
            [{"label": "I already paid", "data": "paid:WW-1042"}],
        ]
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
        assert payment is not None
        assert payment.status is status

    async def test_an_unknown_checkout_request_id_is_recorded_and_changes_nothing(
        self, shop: Shop
    ) -> None:
        outcome = await shop.settlement.settle(paid("ws_CO_999", 10), source="callback")
        assert outcome is SettleOutcome.UNKNOWN
        assert await shop.outbox() == []
        async with shop.uow() as unit:
            assert await unit.audit.latest("ws_CO_999", "callback_unmatched") is not None

    @pytest.mark.parametrize(
        ("reported", "outcome"),
        [
            ("2547****5678", SettleOutcome.SETTLED),
            ("+254712345678", SettleOutcome.SETTLED),
            ("2547****0000", SettleOutcome.UNKNOWN),
        ],
    )
    async def test_a_success_for_a_push_whose_answer_was_lost_is_matched_by_amount_and_phone(
        self, shop: Shop, reported: str, outcome: SettleOutcome
    ) -> None:
        shop.gateway.fail_with = PushFailed(PushProblem.OUTCOME_UNKNOWN, "timeout")
        await self._pending(shop)
        result = dataclasses.replace(paid("ws_CO_77", 1500), phone=reported)
        assert await shop.settlement.settle(result, source="callback") is outcome
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
        assert payment is not None
        if outcome is SettleOutcome.SETTLED:
            assert (payment.status, payment.checkout_request_id) == (PaymentStatus.PAID, "ws_CO_77")
        else:
            assert (payment.status, payment.checkout_request_id) == (PaymentStatus.PENDING, None)

    async def test_a_callback_that_beats_the_push_answer_still_settles_the_payment(
        self, shop: Shop
    ) -> None:
        settlement = shop.settlement

        class RacingGateway(FakeGateway):
            async def stk_push(self, **kwargs: Any) -> Any:
                accepted = await super().stk_push(**kwargs)
                # The callback arrives before our push call has returned.
                await settlement.settle(paid(accepted.checkout_request_id, 1500), source="callback")
                return accepted

        payments = PaymentService(shop.uow, RacingGateway(), settlement, clock=shop.clock)
        chat = chat_conversations(
            ConversationService(shop.uow, payments, flow.FlowSettings("W"), clock=shop.clock)
        )
        for event in (*TO_CONFIRMATION, ButtonPressed("pay")):
            await chat.handle(Channel.TELEGRAM, "42", event)
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
        assert payment is not None
        assert payment.status is PaymentStatus.PAID


class TestStatusAndHistory:
    async def test_status_asks_daraja_about_a_pending_payment_and_settles_it(
        self, shop: Shop
    ) -> None:
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        shop.gateway.answers["ws_CO_1"] = QueryAnswer(paid("ws_CO_1", None))
        replies = await shop.say(Command("status"))
        assert shop.gateway.queries == ["ws_CO_1"]
        assert "received" in replies[-1].text.lower()
        assert len(await shop.outbox()) == 2

    async def test_status_of_a_payment_still_in_progress_says_so(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        replies = await shop.say(Command("status"))
        async with shop.uow() as unit:
            payment = await unit.payments.get(1)
        assert payment is not None
        assert payment.status is PaymentStatus.PENDING
        assert replies[-1].text

    async def test_status_without_payments_says_there_are_none(self, shop: Shop) -> None:
        replies = await shop.say(Command("status"))
        assert "no payments" in replies[-1].text.lower()

    async def test_history_lists_payments_with_receipts(self, shop: Shop) -> None:
        await shop.say(*TO_CONFIRMATION, ButtonPressed("pay"))
        await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        replies = await shop.say(Command("history"))
        assert "NLJ7RT61SV" in replies[-1].text
        assert "WW-1042" in replies[-1].text
