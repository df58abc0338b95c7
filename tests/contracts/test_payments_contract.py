"""The payments' contract: the same tests in memory, on SQLite and on PostgreSQL.

Settling exactly once, late successes and receipts, the reconciler's claims and the
lookups the conversation makes, as the in-memory unit (``lipa_testing.memory_units``)
must keep them for the fast service tests.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.payments.ports import NewPayment, ReceiptDetails, Settlement
from lipa_testing.clocks import SettableClock
from tests.contracts.conftest import Units

PAID = Settlement(PaymentStatus.PAID, 0, "ok", "RCP1", None, 500)
FAILED = Settlement(PaymentStatus.FAILED, 1, "insufficient")
EXPIRED = Settlement(PaymentStatus.EXPIRED, 1019, "expired")


async def start(
    units: Units, clock: SettableClock, *pushes: tuple[str, str, int, str]
) -> list[Payment]:
    """One order WW-1 and a pending payment per (chat, phone, amount, request id; "" none)."""
    async with units() as unit:
        if await unit.orders.get("WW-1") is None:
            await unit.orders.create("WW-1", 5000, known=True)
        made = []
        for chat, phone, amount, request in pushes:
            new = NewPayment("WW-1", None, Channel.TELEGRAM, chat, amount, phone, "sw")
            payment = await unit.payments.create_pending(new, now=clock())
            if request:
                await unit.payments.mark_requested(
                    payment.id, merchant_request_id=f"m-{request}", checkout_request_id=request
                )
            made.append(payment)
            clock.advance(1)
        await unit.commit()
    return made


async def test_a_pending_payment_is_stored_and_found_by_its_request_id(units: Units) -> None:
    clock = SettableClock()
    (made,) = await start(units, clock, ("42", "254712345678", 500, "ws_1"))
    async with units() as unit:
        by_id = await unit.payments.get(made.id)
        by_request = await unit.payments.by_checkout_request_id("ws_1")
        many = await unit.payments.by_checkout_request_ids(["ws_1", "ws_2"])
        assert await unit.payments.by_checkout_request_ids([]) == {}
        assert await unit.payments.get(made.id + 1000) is None
    assert by_id == by_request == many["ws_1"]
    assert by_id is not None
    assert (by_id.status, by_id.merchant_request_id, by_id.language) == (
        PaymentStatus.PENDING,
        "m-ws_1",
        "sw",
    )
    assert by_id.created_at == made.created_at


async def test_a_payment_settles_once(units: Units) -> None:
    clock = SettableClock()
    first, second = await start(units, clock, ("42", "2547", 500, "a"), ("42", "2547", 500, "b"))
    async with units() as unit:
        assert await unit.payments.settle(first.id, PAID, now=clock())
        assert not await unit.payments.settle(first.id, FAILED, now=clock())
        assert await unit.payments.settle_many(
            {first.id: FAILED, second.id: FAILED}, now=clock()
        ) == {second.id}
        assert await unit.payments.settle_many({}, now=clock()) == set()
        await unit.commit()
    async with units() as unit:
        settled = await unit.payments.get(first.id)
    assert settled is not None
    assert (settled.status, settled.receipt_number, settled.reported_amount) == (
        PaymentStatus.PAID,
        "RCP1",
        500,
    )
    assert settled.settled_at == clock()


async def test_a_batch_settles_only_its_pending_payments_each_with_its_own_columns(
    units: Units,
) -> None:
    clock = SettableClock()
    done, paid, failed, odd = await start(
        units, clock, *(("42", "2547", 500, request) for request in "abcd")
    )
    moved = clock() - timedelta(minutes=3)
    paid_late = Settlement(PaymentStatus.PAID, 0, "ok", "RCP9", moved, 499)
    odd_code = Settlement(PaymentStatus.FAILED, None, "odd", result_code_text="SFC_IC0003")
    async with units() as unit:
        assert await unit.payments.settle(done.id, PAID, now=clock())
        await unit.commit()
    clock.advance(60)
    async with units() as unit:
        batch = {done.id: FAILED, paid.id: paid_late, failed.id: FAILED, odd.id: odd_code}
        assert await unit.payments.settle_many(batch, now=clock()) == {paid.id, failed.id, odd.id}
        await unit.commit()
    async with units() as unit:
        found = [await unit.payments.get(made.id) for made in (done, paid, failed, odd)]
    columns = [
        None
        if payment is None
        else (
            payment.status,
            payment.result_code,
            payment.result_code_text,
            payment.result_description,
            payment.receipt_number,
            payment.transaction_date,
            payment.reported_amount,
            payment.settled_at,
        )
        for payment in found
    ]
    assert columns == [
        (PaymentStatus.PAID, 0, None, "ok", "RCP1", None, 500, clock() - timedelta(seconds=60)),
        (PaymentStatus.PAID, 0, None, "ok", "RCP9", moved, 499, clock()),
        (PaymentStatus.FAILED, 1, None, "insufficient", None, None, None, clock()),
        (PaymentStatus.FAILED, None, "SFC_IC0003", "odd", None, None, None, clock()),
    ]


async def test_two_units_settling_at_once_settle_once(units: Units) -> None:
    clock = SettableClock()
    (made,) = await start(units, clock, ("42", "2547", 500, "a"))

    async def settle() -> bool:
        async with units() as unit:
            done = await unit.payments.settle(made.id, PAID, now=clock())
            await unit.commit()
        return done

    assert sorted(await asyncio.gather(settle(), settle())) == [False, True]


async def test_two_units_settling_overlapping_batches_at_once_settle_each_payment_once(
    units: Units,
) -> None:
    clock = SettableClock()
    first, shared, last = await start(
        units, clock, *(("42", "2547", 500, request) for request in "abc")
    )

    async def settle(*payments: Payment) -> set[int]:
        async with units() as unit:
            done = await unit.payments.settle_many(
                {payment.id: FAILED for payment in payments}, now=clock()
            )
            await unit.commit()
        return done

    one, other = await asyncio.gather(settle(first, shared), settle(shared, last))
    assert not one & other
    assert one | other == {first.id, shared.id, last.id}


async def test_a_late_success_pays_an_expired_or_failed_payment_once(units: Units) -> None:
    clock = SettableClock()
    expired, failed, pending = await start(
        units, clock, ("42", "2547", 500, "a"), ("42", "2547", 500, "b"), ("42", "2547", 500, "c")
    )
    async with units() as unit:
        await unit.payments.settle(expired.id, EXPIRED, now=clock())
        await unit.payments.settle(failed.id, FAILED, now=clock())
        assert await unit.payments.settle_late_success(expired.id, PAID, now=clock())
        assert not await unit.payments.settle_late_success(expired.id, PAID, now=clock())
        assert await unit.payments.settle_late_success(failed.id, PAID, now=clock())
        assert not await unit.payments.settle_late_success(pending.id, PAID, now=clock())
        await unit.commit()
    async with units() as unit:
        late = await unit.payments.get(expired.id)
    assert late is not None
    assert (late.status, late.result_code, late.receipt_number) == (PaymentStatus.PAID, 0, "RCP1")


async def test_a_receipt_is_filled_in_once_and_another_amount_is_a_mismatch(
    units: Units,
) -> None:
    clock = SettableClock()
    same, other, unknown = await start(
        units, clock, ("42", "2547", 500, "a"), ("42", "2547", 500, "b"), ("42", "2547", 500, "c")
    )
    without_receipt = Settlement(PaymentStatus.PAID, 0, "ok")
    async with units() as unit:
        for payment in (same, other, unknown):
            await unit.payments.settle(payment.id, without_receipt, now=clock())
        at = clock() - timedelta(minutes=1)
        assert (
            await unit.payments.fill_in_receipt(same.id, ReceiptDetails("R1", at, 500), now=clock())
            is PaymentStatus.PAID
        )
        again = ReceiptDetails("R9", at, 500)
        assert await unit.payments.fill_in_receipt(same.id, again, now=clock()) is None
        assert (
            await unit.payments.fill_in_receipt(other.id, ReceiptDetails("R2", at, 50), now=clock())
            is PaymentStatus.MISMATCHED
        )
        assert (
            await unit.payments.fill_in_receipt(
                unknown.id, ReceiptDetails("R3", None, None), now=clock()
            )
            is PaymentStatus.PAID
        )
        await unit.commit()
    async with units() as unit:
        filled = await unit.payments.get(same.id)
    assert filled is not None
    assert (filled.receipt_number, filled.transaction_date) == ("R1", at)


async def test_a_chats_payments_newest_first_and_an_orders_pending_ones(units: Units) -> None:
    clock = SettableClock()
    one, _, three, four = await start(
        units,
        clock,
        ("42", "2547", 100, "a"),
        ("43", "2547", 200, "b"),
        ("42", "2547", 300, "c"),
        ("42", "2547", 400, "d"),
    )
    async with units() as unit:
        await unit.payments.settle(three.id, FAILED, now=clock())
        await unit.commit()
    async with units() as unit:
        latest = await unit.payments.latest_for_chat(Channel.TELEGRAM, "42")
        recent = await unit.payments.recent_for_chat(Channel.TELEGRAM, "42", 2)
        none = await unit.payments.latest_for_chat(Channel.USSD, "42")
        pending = await unit.payments.pending_for_order("WW-1")
    assert latest is not None
    assert latest.id == four.id
    assert [p.id for p in recent] == [four.id, three.id]
    assert none is None
    assert [p.amount for p in pending] == [100, 200, 400]
    assert one.id == pending[0].id


async def test_a_check_is_claimed_for_its_lease_then_when_scheduled(units: Units) -> None:
    clock = SettableClock()
    old, new = await start(units, clock, ("42", "2547", 100, "a"), ("42", "2547", 200, "b"))
    created_before = clock() - timedelta(seconds=1.5)  # the first only

    async def claim() -> list[tuple[int, int]]:
        async with units() as unit:
            claimed = await unit.payments.claim_for_check(
                now=clock(), created_before=created_before, limit=10, lease_seconds=60
            )
            await unit.commit()
        return [(p.id, p.check_attempts) for p in claimed]

    assert await claim() == [(old.id, 1)]
    assert await claim() == []
    clock.advance(60)
    assert await claim() == [(old.id, 2)]
    async with units() as unit:
        await unit.payments.schedule_check(old.id, at=clock() + timedelta(seconds=5))
        await unit.commit()
    clock.advance(4)
    assert await claim() == []  # the check is scheduled a second later
    clock.advance(1)
    created_before = clock()
    assert await claim() == [(old.id, 3), (new.id, 1)]


async def test_unrequested_payments_match_amount_time_and_masked_phone(units: Units) -> None:
    clock = SettableClock()
    since = clock() - timedelta(seconds=1)
    made = await start(
        units,
        clock,
        ("42", "254712345678", 500, ""),
        ("42", "254712999678", 500, ""),
        ("42", "254712345678", 700, ""),
        ("42", "254712345678", 500, "asked"),
        ("42", "254712345678", 500, ""),
    )
    async with units() as unit:
        await unit.pushes.add(made[4].id, due_at=clock(), now=clock())  # not sent yet
        await unit.commit()
    async with units() as unit:
        any_phone = await unit.payments.unrequested(amount=500, created_after=since, phone=None)
        masked = await unit.payments.unrequested(
            amount=500, created_after=since, phone="2547****5678"
        )
        later = await unit.payments.unrequested(amount=500, created_after=clock(), phone=None)
    assert [p.id for p in any_phone] == [made[0].id, made[1].id]
    assert [p.id for p in masked] == [made[0].id]
    assert later == []
