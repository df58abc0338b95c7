"""The deferred pushes' and push limits' contract: the same tests in memory, on SQLite and
on PostgreSQL (``lipa_testing.memory_units`` against the databases)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.ports import HistoryAsked, NewPayment, PushOutcome, Settlement
from lipa_testing.clocks import SettableClock
from tests.contracts.conftest import Units


async def queue(units: Units, clock: SettableClock, *delays: int) -> list[int]:
    """A pending payment and its push per delay (seconds from now); the payments' ids."""
    async with units() as unit:
        if await unit.orders.get("WW-1") is None:
            await unit.orders.create("WW-1", 5000, known=True)
        ids = []
        for delay in delays:
            new = NewPayment("WW-1", None, Channel.USSD, "42", 100, "254712345678", "en")
            payment = await unit.payments.create_pending(new, now=clock())
            await unit.pushes.add(
                payment.id, due_at=clock() + timedelta(seconds=delay), now=clock()
            )
            ids.append(payment.id)
        await unit.commit()
    return ids


async def claim(units: Units, clock: SettableClock, limit: int = 10) -> list[tuple[int, int]]:
    """The payments and attempts of the pushes claimed for a minute."""
    async with units() as unit:
        claimed = await unit.pushes.claim_due(now=clock(), limit=limit, lease_seconds=60)
        await unit.commit()
    return [(push.payment_id, push.attempts) for push in claimed]


async def test_pushes_are_claimed_when_due_earliest_first_once_each(units: Units) -> None:
    clock = SettableClock()
    late, early, later = await queue(units, clock, 5, 0, 10)
    async with units() as unit:
        assert await unit.pushes.next_due_at() == clock()
    assert await claim(units, clock) == [(early, 1)]
    clock.advance(10)
    assert await claim(units, clock, limit=1) == [(late, 1)]
    assert await claim(units, clock) == [(later, 1)]
    assert await claim(units, clock) == []


async def test_a_push_retried_is_claimed_again_and_a_finished_one_never(units: Units) -> None:
    clock = SettableClock()
    first, _ = await queue(units, clock, 0, 0)
    async with units() as unit:
        pushes = await unit.pushes.claim_due(now=clock(), limit=10, lease_seconds=60)
        assert await unit.pushes.next_due_at() == clock() + timedelta(seconds=60)
        await unit.pushes.retry_later(pushes[0].id, at=clock() + timedelta(seconds=5), error="x")
        await unit.pushes.finish(pushes[1].id, outcome=PushOutcome.SENT, now=clock())
        await unit.pushes.retry_later(pushes[1].id, at=clock(), error="too late")
        assert await unit.pushes.next_due_at() == clock() + timedelta(seconds=5)
        await unit.commit()
    assert await claim(units, clock) == []
    clock.advance(5)
    assert await claim(units, clock) == [(first, 2)]


async def test_a_push_whose_claim_ran_out_is_finished_as_interrupted(units: Units) -> None:
    clock = SettableClock()
    (payment_id,) = await queue(units, clock, 0)
    assert await claim(units, clock) == [(payment_id, 1)]
    async with units() as unit:
        assert await unit.pushes.finish_interrupted(now=clock() + timedelta(seconds=60)) == []
        clock.advance(61)
        stopped = await unit.pushes.finish_interrupted(now=clock())
        await unit.commit()
    assert [(push.payment_id, push.attempts) for push in stopped] == [(payment_id, 1)]
    assert await claim(units, clock) == []
    async with units() as unit:
        assert await unit.pushes.next_due_at() is None


async def test_two_units_claiming_at_once_never_claim_one_push_twice(units: Units) -> None:
    clock = SettableClock()
    ids = await queue(units, clock, *([0] * 12))
    first, second = await asyncio.gather(claim(units, clock, 8), claim(units, clock, 8))
    # Which unit gets which rows depends on the interleaving (on SQLite the second may find
    # the first's rows taken and claim none); what holds everywhere is that no push is
    # claimed twice and that the ones left are claimed, once, by the next pass.
    rest = await claim(units, clock, 12)
    assert sorted(first + second + rest) == [(payment_id, 1) for payment_id in ids]


async def test_push_asks_are_counted_per_phone_and_per_sender(units: Units) -> None:
    clock = SettableClock()
    start = clock()
    async with units() as unit:
        await unit.push_limits.hold("254712345678", "telegram:42")
        for phone, sender in (
            ("2547A", "telegram:42"),
            ("2547B", "telegram:42"),
            ("2547A", "ussd:9"),
        ):
            clock.advance(10)
            await unit.push_limits.record(phone, sender, now=clock())
        await unit.push_limits.record("2547A", "s" * 90, now=clock())
        await unit.commit()
    async with units() as unit:
        by_phone = await unit.push_limits.recent_for_phone("2547A", since=start, limit=10)
        by_sender = await unit.push_limits.recent_for_sender("telegram:42", since=start, limit=1)
        long_sender = await unit.push_limits.recent_for_sender("s" * 90, since=start, limit=5)
        recent = await unit.push_limits.recent_for_phone(
            "2547A", since=start + timedelta(seconds=25), limit=10
        )
    seconds = [int((at - start).total_seconds()) for at in by_phone]
    assert seconds == [30, 30, 10]
    assert [int((at - start).total_seconds()) for at in by_sender] == [20]
    assert len(long_sender) == 1
    assert len(recent) == 2


async def test_the_latest_outcomes_of_a_phone_are_its_settled_payments_newest_first(
    units: Units,
) -> None:
    clock = SettableClock()
    ids = await queue(units, clock, 0, 0, 0)
    async with units() as unit:
        for payment_id, code in zip(ids[:2], (1032, 1), strict=True):
            clock.advance(30)
            failed = Settlement(PaymentStatus.FAILED, code, "no")
            await unit.payments.settle(payment_id, failed, now=clock())
        await unit.commit()
    async with units() as unit:
        outcomes = await unit.push_limits.latest_outcomes("254712345678", count=5)
        other = await unit.push_limits.latest_outcomes("254700000000", count=5)
    assert [(o.result_code, o.settled_at) for o in outcomes] == [
        (1, clock()),
        (1032, clock() - timedelta(seconds=30)),
    ]
    assert other == []


async def test_the_history_at_once_is_the_three_reads(units: Units) -> None:
    clock = SettableClock()
    start = clock()
    ids = await queue(units, clock, 0, 0, 0)
    async with units() as unit:
        await unit.push_limits.hold("254712345678", "telegram:42")
        for phone, sender in (
            ("254712345678", "telegram:42"),
            ("254712345678", "telegram:7"),
            ("254700000000", "telegram:42"),
            ("254712345678", "telegram:42"),
        ):
            clock.advance(10)
            await unit.push_limits.record(phone, sender, now=clock())
        # The first two settled at the same moment: the later payment counts as the newer.
        for payment_id, code, after in zip(ids, (1032, 1, 1032), (0, 5, 0), strict=True):
            failed = Settlement(PaymentStatus.FAILED, code, "no")
            await unit.payments.settle(payment_id, failed, now=clock())
            clock.advance(after)
        await unit.commit()
    asked = HistoryAsked(
        "254712345678",
        "telegram:42",
        phone_since=start + timedelta(seconds=15),
        phone_limit=5,
        sender_since=start,
        sender_limit=5,
        outcomes=2,
    )
    async with units() as unit:
        history = await unit.push_limits.history(asked)
        alone = (
            await unit.push_limits.recent_for_phone(
                "254712345678", since=start + timedelta(seconds=15), limit=5
            ),
            await unit.push_limits.recent_for_sender("telegram:42", since=start, limit=5),
            await unit.push_limits.latest_outcomes("254712345678", count=2),
        )
        nobody = await unit.push_limits.history(
            replace(asked, phone="254799999999", sender="ussd:1")
        )
    assert (list(history.to_phone), list(history.by_sender), list(history.outcomes)) == (
        list(alone[0]),
        list(alone[1]),
        list(alone[2]),
    )
    assert [int((at - start).total_seconds()) for at in history.to_phone] == [40, 20]
    assert [int((at - start).total_seconds()) for at in history.by_sender] == [40, 30, 10]
    assert [(o.result_code, o.settled_at) for o in history.outcomes] == [
        (1032, clock()),
        (1, clock() - timedelta(seconds=5)),
    ]
    assert (nobody.to_phone, nobody.by_sender, nobody.outcomes) == ([], [], [])
