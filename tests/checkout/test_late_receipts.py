"""Receipts of payments settled by STK Push Query, filled in by the callback that comes later."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from checkout.domain.records import BodyStatus, Payment, PaymentStatus
from checkout.payments.gateway import PaymentResult, QueryAnswer
from checkout.payments.settling.settle import SettlementService, SettleOutcome, StaffChat
from lipa_testing.gateway import paid
from storage.database import create_engine, session_factory
from storage.unit_of_work import unit_of_work_factory
from tests.checkout.test_reconcile import UowFactory, World

RECEIPT = "NLJ7RT61SV"
MOVED_AT = datetime(2026, 11, 28, 6, 0, 30, tzinfo=UTC)


def late_callback(amount: int = 1500) -> PaymentResult:
    return replace(paid("ws_CO_1", amount, RECEIPT), transaction_date=MOVED_AT)


@pytest.fixture
def world(uow: UowFactory) -> World:
    return World(uow)


async def settled_by_query(world: World) -> int:
    """A pending payment of KES 1,500 that a query (no receipt, no amount) settles as paid."""
    payment_id = await world.pending()
    world.gateway.answers["ws_CO_1"] = QueryAnswer(
        replace(paid("ws_CO_1", None), receipt_number=None)
    )
    world.later(61)
    await world.reconciler.run_once()
    return payment_id


async def payment(world: World, payment_id: int) -> Payment:
    async with world.uow() as unit:
        found = await unit.payments.get(payment_id)
    assert found is not None
    return found


class TestSettledByQuery:
    async def test_the_paid_message_says_the_receipt_will_follow_instead_of_a_dash(
        self, world: World
    ) -> None:
        payment_id = await settled_by_query(world)
        assert (await payment(world, payment_id)).receipt_number is None
        (customer,) = [m for m in await world.outbox() if m["chat"] == "42"]
        assert "M-Pesa receipt to follow." in customer["text"]
        assert "receipt -" not in customer["text"]

    async def test_a_late_callback_fills_in_the_receipt_date_and_reported_amount(
        self, world: World
    ) -> None:
        payment_id = await settled_by_query(world)
        outcome = await world.settlement.settle(late_callback(), source="callback")
        assert outcome is SettleOutcome.RECEIPT
        found = await payment(world, payment_id)
        assert found.status is PaymentStatus.PAID
        assert (found.receipt_number, found.transaction_date, found.reported_amount) == (
            RECEIPT,
            MOVED_AT,
            1500,
        )

    async def test_the_customer_gets_the_receipt_once_it_is_known_and_only_once(
        self, world: World
    ) -> None:
        await settled_by_query(world)
        before = [m["text"] for m in await world.outbox() if m["chat"] == "42"]
        await world.settlement.settle(late_callback(), source="callback")
        again = await world.settlement.settle(late_callback(), source="callback")
        assert again is SettleOutcome.DUPLICATE
        after = [m["text"] for m in await world.outbox() if m["chat"] == "42"]
        assert after[: len(before)] == before
        (receipt_message,) = after[len(before) :]
        assert receipt_message == (
            f"M-Pesa receipt {RECEIPT} for your payment of KES 1,500 for order WW-1042."
        )

    async def test_the_staff_hear_the_receipt_once_it_is_known_and_only_once(
        self, world: World
    ) -> None:
        await settled_by_query(world)
        before = len(await world.outbox())
        await world.settlement.settle(late_callback(), source="callback")
        await world.settlement.settle(late_callback(), source="callback")
        new = [m["text"] for m in (await world.outbox())[before:] if m["chat"] == "-100"]
        assert new == [f"M-Pesa's receipt for 2547****5678's KES 1,500 for WW-1042: {RECEIPT}."]

    async def test_staff_find_and_the_orders_api_find_the_filled_in_receipt(
        self, world: World
    ) -> None:
        payment_id = await settled_by_query(world)
        await world.settlement.settle(late_callback(), source="callback")
        async with world.uow() as unit:
            found = await unit.reports.find_payments(
                receipt=RECEIPT, reference=None, phone=None, limit=10
            )
            for_order = await unit.order_book.payments_for_order("WW-1042")
        assert [p.id for p in found] == [payment_id]
        assert [p.receipt_number for p in for_order] == [RECEIPT]

    async def test_a_late_callback_with_another_amount_makes_it_mismatched_and_alerts_staff(
        self, world: World
    ) -> None:
        payment_id = await settled_by_query(world)
        before = len(await world.outbox())
        outcome = await world.settlement.settle(late_callback(amount=1), source="callback")
        assert outcome is SettleOutcome.RECEIPT
        found = await payment(world, payment_id)
        assert found.status is PaymentStatus.MISMATCHED
        assert (found.receipt_number, found.reported_amount) == (RECEIPT, 1)
        async with world.uow() as unit:
            order = await unit.orders.get("WW-1042")
        assert order is not None
        assert order.amount_paid == 0  # a mismatched amount pays nothing
        new = (await world.outbox())[before:]
        (alert,) = [m["text"] for m in new if m["chat"] == "-100"]
        # Issue 22 worded staff notices as sentences: the check, the amounts, the receipt.
        assert alert.startswith("Check WW-1042: M-Pesa took KES 1 from 2547****5678")
        assert f"The receipt is {RECEIPT}." in alert
        assert "but KES 1,500 was asked" in alert
        (told,) = [m["text"] for m in new if m["chat"] == "42"]
        assert "not the amount asked" in told

    async def test_a_late_callback_in_a_batch_fills_in_the_receipt_too(self, world: World) -> None:
        payment_id = await settled_by_query(world)
        outcomes = await world.settlement.settle_batch([(late_callback(), "callback", None)])
        assert outcomes == [SettleOutcome.RECEIPT]
        assert (await payment(world, payment_id)).receipt_number == RECEIPT

    async def test_a_payment_paid_by_its_callback_keeps_that_receipt(self, world: World) -> None:
        payment_id = await world.pending()
        await world.settlement.settle(late_callback(), source="callback")
        other = replace(late_callback(), receipt_number="OTHER00000")
        assert await world.settlement.settle(other, source="callback") is (SettleOutcome.DUPLICATE)
        assert (await payment(world, payment_id)).receipt_number == RECEIPT


class TestMismatched:
    async def test_a_mismatched_payment_keeps_its_receipt_and_the_staff_alert_shows_it(
        self, world: World
    ) -> None:
        payment_id = await world.pending(amount=500)
        await world.settlement.settle(
            replace(paid("ws_CO_1", 1, RECEIPT), transaction_date=MOVED_AT), source="callback"
        )
        found = await payment(world, payment_id)
        assert found.status is PaymentStatus.MISMATCHED
        assert (found.receipt_number, found.transaction_date, found.reported_amount) == (
            RECEIPT,
            MOVED_AT,
            1,
        )
        (alert,) = [m["text"] for m in await world.outbox() if m["chat"] == "-100"]
        assert f"The receipt is {RECEIPT}." in alert  # issue 22: notices in sentences


async def test_two_processes_fill_in_a_late_receipt_once(pg_database_url: str) -> None:
    """Two processes (two engines) get the same late callback at once: one fills it in."""
    engines = [create_engine(pg_database_url) for _ in range(2)]
    try:
        first = World(unit_of_work_factory(session_factory(engines[0])))
        await settled_by_query(first)
        second = SettlementService(
            unit_of_work_factory(session_factory(engines[1])),
            clock=first.clock,
            staff=StaffChat("-100"),
        )
        before = len(await first.outbox())
        outcomes = await asyncio.gather(
            *(
                service.settle(late_callback(), source="callback")
                for service in (first.settlement, second) * 3
            )
        )
        assert sorted(outcomes) == sorted([SettleOutcome.RECEIPT] + [SettleOutcome.DUPLICATE] * 5)
        # Once each: the customer's receipt and (issue 22) the staff's notice of it.
        assert len(await first.outbox()) == before + 2
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.parametrize("outcome", list(SettleOutcome))
def test_every_settle_outcome_can_be_kept_with_its_callback_body(outcome: SettleOutcome) -> None:
    # A kept body records what settling it did: an outcome without a body status would make
    # keeping the body fail, and with it the settlement's transaction.
    assert BodyStatus(outcome.value).value == outcome.value
