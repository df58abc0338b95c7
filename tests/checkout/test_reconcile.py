"""Reconciliation and confirmation: lost callbacks, forged callbacks, expiry, exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.gateway import PushFailed, QueryAnswer
from checkout.payments.ports import NewPayment
from checkout.payments.reconcile import CheckResult, ReconcilePolicy, Reconciler
from checkout.payments.settling.settle import SettlementService, SettleOutcome, StaffChat
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, failed, paid
from lipa_testing.memory_units import MemoryUnit, MemoryUnits

UowFactory = Callable[[], MemoryUnit]
POLICY = ReconcilePolicy(
    after=timedelta(seconds=60),
    expiry=timedelta(seconds=600),
    first_backoff=timedelta(seconds=15),
    max_backoff=timedelta(seconds=120),
)


@pytest.fixture
def uow() -> MemoryUnits:
    """The in-memory unit of work (held to the databases by tests/contracts/)."""
    return MemoryUnits()


class World:
    """Services around one database, a fake gateway and a hand-moved clock."""

    def __init__(self, uow: UowFactory, *, confirm: bool = False) -> None:
        self.uow = uow
        self.clock = SettableClock()
        self.gateway = FakeGateway()
        self.settlement = SettlementService(
            uow,
            clock=self.clock,
            staff=StaffChat("-100"),
            confirm=self.gateway if confirm else None,
        )
        self.reconciler = Reconciler(
            uow, self.gateway, self.settlement, clock=self.clock, policy=POLICY
        )

    async def pending(self, checkout_id: str | None = "ws_CO_1", amount: int = 1500) -> int:
        async with self.uow() as unit:
            if await unit.orders.get("WW-1042") is None:
                await unit.orders.create("WW-1042", 3000, known=True)
            payment = await unit.payments.create_pending(
                NewPayment("WW-1042", None, Channel.TELEGRAM, "42", amount, "254712345678", "en"),
                now=self.clock(),
            )
            if checkout_id is not None:
                await unit.payments.mark_requested(
                    payment.id, merchant_request_id="m", checkout_request_id=checkout_id
                )
            await unit.commit()
        return payment.id

    async def status(self, payment_id: int) -> PaymentStatus:
        async with self.uow() as unit:
            payment = await unit.payments.get(payment_id)
        assert payment is not None
        return payment.status

    async def outbox(self) -> list[dict[str, Any]]:
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=1), limit=100, lease_seconds=1
            )
        return [{"chat": message.chat_key, **message.payload} for message in claimed]

    def later(self, seconds: float) -> None:
        self.clock.now += timedelta(seconds=seconds)


@pytest.fixture
def world(uow: UowFactory) -> World:
    return World(uow)


class TestReconciling:
    async def test_a_young_payment_is_left_alone(self, world: World) -> None:
        await world.pending()
        world.later(59)
        assert await world.reconciler.run_once() == []
        assert world.gateway.queries == []

    async def test_a_lost_callback_is_replaced_by_a_query_with_the_same_messages(
        self, world: World
    ) -> None:
        payment_id = await world.pending()
        world.gateway.answers["ws_CO_1"] = QueryAnswer(paid("ws_CO_1", None))
        world.later(61)
        (checked,) = await world.reconciler.run_once()
        assert checked.result is CheckResult.SETTLED
        assert await world.status(payment_id) is PaymentStatus.PAID
        messages = await world.outbox()
        assert [m["chat"] for m in messages] == ["42", "-100"]
        async with world.uow() as unit:
            order = await unit.orders.get("WW-1042")
        assert order is not None
        assert order.amount_paid == 1500

    async def test_a_failed_answer_settles_as_failed_with_the_reason(self, world: World) -> None:
        payment_id = await world.pending()
        world.gateway.answers["ws_CO_1"] = QueryAnswer(failed("ws_CO_1", 1032))
        world.later(61)
        await world.reconciler.run_once()
        assert await world.status(payment_id) is PaymentStatus.CANCELLED
        assert "cancel" in (await world.outbox())[0]["text"].lower()

    async def test_in_progress_is_asked_again_later_with_backoff(self, world: World) -> None:
        payment_id = await world.pending()
        world.later(61)
        (checked,) = await world.reconciler.run_once()
        assert checked.result is CheckResult.STILL_PENDING
        world.later(10)
        assert await world.reconciler.run_once() == []
        world.later(5)
        assert len(await world.reconciler.run_once()) == 1
        world.later(29)
        assert await world.reconciler.run_once() == []
        world.later(1)
        assert len(await world.reconciler.run_once()) == 1
        assert world.gateway.queries == ["ws_CO_1"] * 3
        assert await world.status(payment_id) is PaymentStatus.PENDING

    async def test_no_final_answer_before_expiry_expires_and_tells_everyone(
        self, world: World
    ) -> None:
        payment_id = await world.pending()
        for _ in range(40):
            world.later(30)
            await world.reconciler.run_once()
        assert await world.status(payment_id) is PaymentStatus.EXPIRED
        messages = await world.outbox()
        assert [m["chat"] for m in messages] == ["42", "-100"]
        assert messages[0]["buttons"] == [
            [{"label": "Try again", "data": "retry"}],
            [{"label": "I already paid", "data": "paid:WW-1042"}],
        ]
        assert "did not answer" in messages[1]["text"]  # issue 22: notices in sentences

    async def test_daraja_down_keeps_the_payment_pending_and_retries(self, world: World) -> None:
        payment_id = await world.pending()
        world.gateway.query_failure = PushFailed(PushProblem.UNAVAILABLE, "down")
        world.later(61)
        (checked,) = await world.reconciler.run_once()
        assert checked.result is CheckResult.STILL_PENDING
        world.gateway.query_failure = None
        world.gateway.answers["ws_CO_1"] = QueryAnswer(paid("ws_CO_1", None))
        world.later(15)
        await world.reconciler.run_once()
        assert await world.status(payment_id) is PaymentStatus.PAID

    async def test_a_push_of_unknown_outcome_is_expired_without_queries(self, world: World) -> None:
        payment_id = await world.pending(checkout_id=None)
        world.later(61)
        (checked,) = await world.reconciler.run_once()
        assert checked.result is CheckResult.UNANSWERED
        world.later(600)
        await world.reconciler.run_once()
        assert world.gateway.queries == []
        assert await world.status(payment_id) is PaymentStatus.EXPIRED

    async def test_two_reconcilers_never_ask_about_the_same_payment_twice(
        self, world: World
    ) -> None:
        for number in range(20):
            await world.pending(f"ws_CO_{number}", amount=10)
        world.later(61)
        other = Reconciler(world.uow, world.gateway, world.settlement, clock=world.clock)
        await asyncio.gather(world.reconciler.run_once(), other.run_once())
        assert sorted(world.gateway.queries) == sorted(f"ws_CO_{n}" for n in range(20))

    async def test_a_late_callback_after_settlement_changes_nothing_and_sends_nothing(
        self, world: World
    ) -> None:
        payment_id = await world.pending()
        world.gateway.answers["ws_CO_1"] = QueryAnswer(failed("ws_CO_1", 1037))
        world.later(61)
        await world.reconciler.run_once()
        before = len(await world.outbox())
        outcome = await world.settlement.settle(failed("ws_CO_1", 1037), source="callback")
        assert outcome is SettleOutcome.DUPLICATE
        assert len(await world.outbox()) == before
        assert await world.status(payment_id) is PaymentStatus.FAILED

    async def test_a_late_success_after_expiry_alerts_the_staff(self, world: World) -> None:
        payment_id = await world.pending()
        world.later(601)
        await world.reconciler.run_once()
        outcome = await world.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        assert outcome is SettleOutcome.CONFLICT
        assert await world.status(payment_id) is PaymentStatus.EXPIRED
        alerts = [m for m in await world.outbox() if m["chat"] == "-100"]
        assert any("now reports paid" in m["text"] for m in alerts)

    async def test_a_success_nobody_can_match_alerts_the_staff_once(self, world: World) -> None:
        await world.settlement.settle(paid("ws_CO_stray", 700), source="callback")
        world.later(61)
        await world.reconciler.run_once()
        world.later(61)
        await world.reconciler.run_once()
        alerts = [m for m in await world.outbox() if "cannot match" in m["text"]]
        assert len(alerts) == 1
        assert "ws_CO_stray" in alerts[0]["text"]


class TestConfirmingCallbacks:
    @pytest.fixture
    def world(self, uow: UowFactory) -> World:
        return World(uow, confirm=True)

    async def test_a_forged_success_is_never_paid_and_the_staff_are_warned(
        self, world: World
    ) -> None:
        payment_id = await world.pending()
        world.gateway.answers["ws_CO_1"] = QueryAnswer(failed("ws_CO_1", 1032))
        await world.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        assert await world.status(payment_id) is PaymentStatus.CANCELLED
        messages = await world.outbox()
        assert any("not confirmed" in m["text"] for m in messages if m["chat"] == "-100")
        async with world.uow() as unit:
            order = await unit.orders.get("WW-1042")
        assert order is not None
        assert order.amount_paid == 0

    async def test_a_confirmed_success_is_paid_with_the_callbacks_receipt(
        self, world: World
    ) -> None:
        payment_id = await world.pending()
        world.gateway.answers["ws_CO_1"] = QueryAnswer(paid("ws_CO_1", None, receipt="Q"))
        await world.settlement.settle(paid("ws_CO_1", 1500, "RCPT1"), source="callback")
        async with world.uow() as unit:
            payment = await unit.payments.get(payment_id)
        assert payment is not None
        assert (payment.status, payment.receipt_number) == (PaymentStatus.PAID, "RCPT1")

    async def test_an_unconfirmed_success_waits_for_the_reconciler(self, world: World) -> None:
        payment_id = await world.pending()
        outcome = await world.settlement.settle(paid("ws_CO_1", 1500, "RCPT2"), source="callback")
        assert outcome is SettleOutcome.UNCONFIRMED
        assert await world.status(payment_id) is PaymentStatus.PENDING
        world.gateway.answers["ws_CO_1"] = QueryAnswer(paid("ws_CO_1", None, receipt=None))
        world.later(61)
        await world.reconciler.run_once()
        async with world.uow() as unit:
            payment = await unit.payments.get(payment_id)
        assert payment is not None
        assert (payment.status, payment.receipt_number) == (PaymentStatus.PAID, "RCPT2")

    async def test_failure_callbacks_are_not_queried(self, world: World) -> None:
        payment_id = await world.pending()
        await world.settlement.settle(failed("ws_CO_1", 1), source="callback")
        assert world.gateway.queries == []
        assert await world.status(payment_id) is PaymentStatus.FAILED


class TestTimedOutPushes:
    async def test_a_success_callback_finds_the_push_whose_answer_was_lost(
        self, world: World
    ) -> None:
        payment_id = await world.pending(checkout_id=None)
        result = replace(paid("ws_CO_late", 1500), phone="2547****5678")
        outcome = await world.settlement.settle(result, source="callback")
        assert outcome is SettleOutcome.SETTLED
        assert await world.status(payment_id) is PaymentStatus.PAID

    async def test_a_callback_that_fits_two_pushes_is_not_guessed(self, world: World) -> None:
        first = await world.pending(checkout_id=None)
        second = await world.pending(checkout_id=None)
        outcome = await world.settlement.settle(paid("ws_CO_late", 1500), source="callback")
        assert outcome is SettleOutcome.UNKNOWN
        assert await world.status(first) is PaymentStatus.PENDING
        assert await world.status(second) is PaymentStatus.PENDING

    async def test_another_phone_or_amount_is_not_matched(self, world: World) -> None:
        payment_id = await world.pending(checkout_id=None)
        other_phone = replace(paid("ws_CO_a", 1500), phone="254799999999")
        other_amount = paid("ws_CO_b", 1499)
        assert await world.settlement.settle(other_phone, source="callback") is (
            SettleOutcome.UNKNOWN
        )
        assert await world.settlement.settle(other_amount, source="callback") is (
            SettleOutcome.UNKNOWN
        )
        assert await world.status(payment_id) is PaymentStatus.PENDING
