"""The outbox ports' contract: the same tests on the in-memory unit, SQLite and PostgreSQL.

The in-memory unit (``lipa_testing.memory_outbox``) stands in for the database in the fast
outbox tests; these tests keep it honest: whatever it does, the real databases do too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from checkout.domain.records import Channel
from lipa_testing.clocks import SettableClock
from lipa_testing.memory_outbox import MemoryOutboxUnit, MemoryOutboxUnits
from storage.unit_of_work import SqlUnitOfWork

# Both implementations, so the hand-over's ``flush`` and ``unclaimed`` are tested too.
Units = Callable[[], MemoryOutboxUnit | SqlUnitOfWork]
T = Channel.TELEGRAM


@pytest.fixture
def memory_units() -> MemoryOutboxUnits:
    """The outbox alone in memory (``units`` and ``backend``: see conftest.py)."""
    return MemoryOutboxUnits()


async def add(units: Units, clock: SettableClock, *items: tuple[str, int | str]) -> None:
    async with units() as unit:
        for chat, number in items:
            await unit.outbox.add(channel=T, chat_key=chat, payload={"n": number}, now=clock())
        await unit.commit()


async def claim(units: Units, clock: SettableClock, limit: int = 100) -> list[tuple[str, object]]:
    """Claim what is due for a minute; the chats and numbers claimed, by id."""
    async with units() as unit:
        claimed = await unit.outbox.claim_due(now=clock(), limit=limit, lease_seconds=60)
        await unit.commit()
    return [(message.chat_key, message.payload["n"]) for message in claimed]


async def test_messages_are_claimed_oldest_first_once_each(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, ("1", 1), ("2", 2), ("3", 3))
    assert await claim(units, clock, limit=2) == [("1", 1), ("2", 2)]
    assert await claim(units, clock) == [("3", 3)]
    assert await claim(units, clock) == []


async def test_an_uncommitted_unit_writes_nothing(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        await unit.outbox.add(channel=T, chat_key="1", payload={"n": 1}, now=clock())
        assert await unit.outbox.next_due_at() == clock()  # its own writes it sees
    async with units() as unit:
        await unit.outbox.add(channel=T, chat_key="1", payload={"n": 2}, now=clock())
        await unit.rollback()
        await unit.commit()
    async with units() as unit:
        assert await unit.outbox.next_due_at() is None


async def test_a_claim_not_committed_is_not_a_claim(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, ("1", 1))
    async with units() as unit:
        assert len(await unit.outbox.claim_due(now=clock(), limit=10, lease_seconds=60)) == 1
    assert await claim(units, clock) == [("1", 1)]


async def test_a_chat_waits_behind_its_earlier_message_until_that_is_delivered(
    units: Units,
) -> None:
    clock = SettableClock()
    await add(units, clock, ("42", 1))
    assert await claim(units, clock) == [("42", 1)]
    await add(units, clock, ("42", 2), ("43", 3))
    assert await claim(units, clock) == [("43", 3)]  # 42's first one is out, leased
    async with units() as unit:
        await unit.outbox.mark_sent(1, now=clock())
        await unit.commit()
    assert await claim(units, clock) == [("42", 2)]


async def test_a_message_to_retry_holds_its_chat_and_is_claimed_when_due(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, ("42", 1), ("42", 2))
    assert await claim(units, clock, limit=1) == [("42", 1)]
    async with units() as unit:
        await unit.outbox.retry_later(1, at=clock() + timedelta(seconds=30), error="x" * 900)
        await unit.commit()
    assert await claim(units, clock) == []
    async with units() as unit:
        assert await unit.outbox.next_due_at() == clock()  # the second, due but held back
    clock.now += timedelta(seconds=30)
    assert await claim(units, clock) == [("42", 1), ("42", 2)]


async def test_a_message_given_up_no_longer_holds_its_chat(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, ("42", 1), ("42", 2))
    assert await claim(units, clock, limit=1) == [("42", 1)]
    async with units() as unit:
        await unit.outbox.give_up(1, now=clock(), error="blocked")
        await unit.commit()
    assert await claim(units, clock) == [("42", 2)]


async def test_a_lease_that_runs_out_lets_the_message_be_claimed_again(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, ("42", 1))
    async with units() as unit:
        (first,) = await unit.outbox.claim_due(now=clock(), limit=10, lease_seconds=60)
        await unit.commit()
    assert first.attempts == 1
    clock.now += timedelta(seconds=59)
    assert await claim(units, clock) == []
    clock.now += timedelta(seconds=1)
    async with units() as unit:
        (again,) = await unit.outbox.claim_due(now=clock(), limit=10, lease_seconds=60)
        assert await unit.outbox.next_due_at() == clock() + timedelta(seconds=60)
        await unit.commit()
    assert (again.id, again.attempts) == (first.id, 2)


async def test_a_second_message_with_a_dedupe_key_is_ignored_even_once_sent(
    units: Units,
) -> None:
    clock = SettableClock()
    for _ in range(2):
        async with units() as unit:
            for _ in range(2):
                await unit.outbox.add(
                    channel=T, chat_key="1", payload={"n": 1}, now=clock(), dedupe_key="k"
                )
            await unit.commit()
        for message_id in (1, 2, 3, 4):
            async with units() as unit:
                await unit.outbox.mark_all_sent([message_id], now=clock())
                await unit.commit()
    async with units() as unit:
        await unit.outbox.add(channel=T, chat_key="1", payload={"n": 2}, now=clock())
        await unit.commit()
    assert await claim(units, clock) == [("1", 2)]


async def test_new_messages_are_claimed_as_written_unless_their_chat_has_one_waiting(
    units: Units,
) -> None:
    # The commit's hand-over to a sender in the process (``flush(claim_until=...)``).
    clock = SettableClock()
    lease = clock() + timedelta(seconds=60)
    await add(units, clock, ("42", 1))
    async with units() as unit:
        for chat, number in (("42", 2), ("43", 3), ("43", 4)):
            await unit.outbox.add(channel=T, chat_key=chat, payload={"n": number}, now=clock())
        claimed = await unit.outbox.flush(claim_until=lease)
        assert [(m.chat_key, m.payload["n"], m.attempts) for m in claimed] == [
            ("43", 3, 1),
            ("43", 4, 1),
        ]
        assert unit.outbox.unclaimed == {(T, "42")}
        await unit.commit()
    assert await claim(units, clock) == [("42", 1), ("42", 2)]


async def test_two_units_claiming_at_once_never_claim_one_message_twice(units: Units) -> None:
    clock = SettableClock()
    await add(units, clock, *[(str(chat), chat) for chat in range(20)])
    first, second = await asyncio.gather(claim(units, clock, 15), claim(units, clock, 15))
    assert sorted(first + second, key=lambda item: int(str(item[1]))) == [
        (str(chat), chat) for chat in range(20)
    ]
