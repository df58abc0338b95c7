"""Group commit: callbacks that arrive together settle in one transaction, each exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.batching import SettlementBatcher
from checkout.payments.gateway import PaymentResult
from checkout.payments.ports import NewPayment, Settlement
from checkout.payments.settling.settle import SettlementService, SettleOutcome, StaffChat
from lipa_testing.gateway import failed, paid
from lipa_testing.memory_units import MemoryUnit, MemoryUnits

UowFactory = Callable[[], MemoryUnit]
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow() -> MemoryUnits:
    """The in-memory unit of work (held to the databases by tests/contracts/)."""
    return MemoryUnits()


async def pending(uow: UowFactory, count: int, *, order: str | None = None) -> None:
    """``count`` pending payments of KES 100, ws_CO_0…; one order each unless ``order``."""
    async with uow() as unit:
        if order is not None:
            await unit.orders.create(order, 100 * count, known=True)
        for index in range(count):
            reference = order or f"O-{index}"
            if order is None:
                await unit.orders.create(reference, 100, known=True)
            payment = await unit.payments.create_pending(
                NewPayment(
                    reference, None, Channel.TELEGRAM, str(index), 100, "254712345678", "en"
                ),
                now=NOW,
            )
            await unit.payments.mark_requested(
                payment.id, merchant_request_id="m", checkout_request_id=f"ws_CO_{index}"
            )
        await unit.commit()


async def queued(uow: UowFactory) -> list[dict[str, Any]]:
    async with uow() as unit:
        claimed = await unit.outbox.claim_due(
            now=NOW + timedelta(days=1), limit=1000, lease_seconds=1
        )
    return [{"chat": message.chat_key, **message.payload} for message in claimed]


def service(uow: UowFactory) -> SettlementService:
    return SettlementService(uow, clock=lambda: NOW, staff=StaffChat("-100"))


def batch(*results: PaymentResult) -> list[tuple[PaymentResult, str, dict[str, Any] | None]]:
    return [(result, "callback", {}) for result in results]


async def test_a_batch_settles_every_payment_and_queues_each_message_once(
    uow: UowFactory,
) -> None:
    await pending(uow, 20)
    outcomes = await service(uow).settle_batch(
        batch(*(paid(f"ws_CO_{n}", 100, f"R{n}") for n in range(20)))
    )
    assert outcomes == [SettleOutcome.SETTLED] * 20
    messages = await queued(uow)
    assert sorted(m["chat"] for m in messages if m["chat"] != "-100") == sorted(
        str(n) for n in range(20)
    )
    assert len([m for m in messages if m["chat"] == "-100"]) == 20
    async with uow() as unit:
        for n in range(20):
            order = await unit.orders.get(f"O-{n}")
            assert order is not None
            assert order.amount_paid == 100


async def test_the_same_callback_twice_in_a_batch_settles_once(uow: UowFactory) -> None:
    await pending(uow, 1)
    outcomes = await service(uow).settle_batch(batch(paid("ws_CO_0", 100), paid("ws_CO_0", 100)))
    assert sorted(outcomes) == sorted([SettleOutcome.SETTLED, SettleOutcome.DUPLICATE])
    assert len(await queued(uow)) == 2
    async with uow() as unit:
        order = await unit.orders.get("O-0")
    assert order is not None
    assert order.amount_paid == 100


async def test_two_payments_of_one_order_show_the_balance_after_each(uow: UowFactory) -> None:
    await pending(uow, 2, order="SHARED")
    await service(uow).settle_batch(batch(paid("ws_CO_0", 100, "RA"), paid("ws_CO_1", 100, "RB")))
    customers = {m["chat"]: m["text"] for m in await queued(uow) if m["chat"] != "-100"}
    assert "100" in customers["0"]
    assert "fully paid" not in customers["0"]
    assert "fully paid" in customers["1"]


async def test_mixed_outcomes_unknown_ids_and_mismatches_in_one_batch(uow: UowFactory) -> None:
    await pending(uow, 4)
    async with uow() as unit:  # one is already settled before the batch
        await unit.payments.settle(4, Settlement(PaymentStatus.FAILED, 1, "no balance"), now=NOW)
        await unit.commit()
    outcomes = await service(uow).settle_batch(
        batch(
            paid("ws_CO_0", 100),
            failed("ws_CO_1", 1032),
            paid("ws_CO_2", 1),
            paid("ws_CO_nobody", 100),
            failed("ws_CO_3", 1),
        )
    )
    assert outcomes == [
        SettleOutcome.SETTLED,
        SettleOutcome.SETTLED,
        SettleOutcome.SETTLED,
        SettleOutcome.UNKNOWN,
        SettleOutcome.DUPLICATE,
    ]
    async with uow() as unit:
        statuses = [(await unit.payments.get(n)) for n in (1, 2, 3)]
        mismatched_order = await unit.orders.get("O-2")
    assert [p.status for p in statuses if p] == [
        PaymentStatus.PAID,
        PaymentStatus.CANCELLED,
        PaymentStatus.MISMATCHED,
    ]
    assert mismatched_order is not None
    assert mismatched_order.amount_paid == 0


async def test_concurrent_callbacks_share_transactions(uow: UowFactory) -> None:
    await pending(uow, 60)
    batcher = SettlementBatcher(service(uow))
    outcomes = await asyncio.gather(
        *(batcher.settle(paid(f"ws_CO_{n}", 100), source="callback", raw={}) for n in range(60))
    )
    assert outcomes == [SettleOutcome.SETTLED] * 60
    assert batcher.batches < 60


class FailingBatches(SettlementService):
    """A settlement service whose batches always fail, to exercise the fallback."""

    async def settle_batch(
        self, items: Sequence[tuple[PaymentResult, str, dict[str, Any] | None]]
    ) -> list[SettleOutcome]:
        raise RuntimeError("the database went away mid-batch")


async def test_a_failed_batch_is_settled_one_by_one(uow: UowFactory) -> None:
    await pending(uow, 5)
    batcher = SettlementBatcher(FailingBatches(uow, clock=lambda: NOW))
    outcomes = await asyncio.gather(
        *(batcher.settle(paid(f"ws_CO_{n}", 100), source="callback") for n in range(5))
    )
    assert outcomes == [SettleOutcome.SETTLED] * 5


@pytest.mark.parametrize("size", [1, 7])
async def test_a_batch_of_failures_tells_each_customer_why(uow: UowFactory, size: int) -> None:
    await pending(uow, size)
    await service(uow).settle_batch(batch(*(failed(f"ws_CO_{n}", 2001) for n in range(size))))
    customers = [m for m in await queued(uow) if m["chat"] != "-100"]
    assert len(customers) == size
    assert all("PIN" in m["text"] for m in customers)


async def test_a_private_staff_chat_reads_once_per_batch_what_one_by_one_reads_each_time() -> None:
    """A staff user's private chat showing whole numbers: a batch reads the reader's language
    and the customers' names once for all its payments; its notices are the very ones that
    settling each payment alone queues (a name, a second name, none for an unknown customer)."""
    staff = StaffChat("7001", full_phones=True, user_id=7001)
    notices: dict[str, list[dict[str, Any]]] = {}
    for way in ("batch", "one by one"):
        units = MemoryUnits()
        async with units() as unit:
            await unit.customers.get_or_create(Channel.TELEGRAM, "7001", language="sw", now=NOW)
            for index, name in enumerate(("Wanjiku", "Otieno", None)):
                await unit.orders.create(f"O-{index}", 100, known=True)
                customer = await unit.customers.get_or_create(
                    Channel.TELEGRAM, str(index), language="en", now=NOW, name=name
                )
                payment = await unit.payments.create_pending(
                    NewPayment(
                        f"O-{index}",
                        customer.id if name else None,
                        Channel.TELEGRAM,
                        str(index),
                        100,
                        "254712345678",
                        "en",
                    ),
                    now=NOW,
                )
                await unit.payments.mark_requested(
                    payment.id, merchant_request_id="m", checkout_request_id=f"ws_CO_{index}"
                )
            await unit.commit()
        settling = SettlementService(units, clock=lambda: NOW, staff=staff)
        results = [paid(f"ws_CO_{n}", 100, f"R{n}") for n in range(3)]
        if way == "batch":
            assert await settling.settle_batch(batch(*results)) == [SettleOutcome.SETTLED] * 3
        else:
            for result in results:
                assert await settling.settle(result, source="callback") is SettleOutcome.SETTLED
        notices[way] = sorted(
            (m for m in await queued(units) if m["chat"] == "7001"), key=lambda m: m["text"]
        )
    assert notices["batch"] == notices["one by one"]
    texts = [message["text"] for message in notices["batch"]]
    assert len(texts) == 3
    assert all("amelipa" in text for text in texts)
    assert sum("Wanjiku" in text for text in texts) == sum("Otieno" in text for text in texts) == 1
