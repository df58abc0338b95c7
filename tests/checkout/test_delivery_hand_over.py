"""A commit that queues outbox messages hands them to the running sender, claimed already."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.domain.records import Channel, OutboxMessage
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.outbox.handoff import SenderSlot
from lipa_testing.clocks import SettableClock
from storage.database import session_factory
from storage.models import OutboxRow
from storage.unit_of_work import SqlUnits
from tests.checkout.test_delivery import GatedSender, RecordingSender, queue


@dataclass
class Handed:
    """The process's delivery as the unit of work sees it, recording what it was handed."""

    sender: OutboxSender
    taken: list[list[int]] = field(default_factory=list)
    waits: list[set[tuple[Channel, str]]] = field(default_factory=list)

    def lease_until(self) -> datetime | None:
        return self.sender.lease_until()

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        self.taken.append([message.id for message in messages])
        self.sender.take(messages)

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        self.waits.append(set(chats))
        self.sender.waiting(chats)


@contextlib.asynccontextmanager
async def running(sender: OutboxSender) -> AsyncIterator[None]:
    task = asyncio.create_task(sender.run_forever())
    try:
        await asyncio.sleep(0)  # the loop starts its flight before its first await
        assert sender.lease_until() is not None
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def handing_over(engine: AsyncEngine, delivery: Handed) -> SqlUnits:
    """Units of work whose commits hand their messages to ``delivery`` (built first)."""
    return SqlUnits(session_factory(engine), delivery)


async def rows(units: SqlUnits) -> list[tuple[int, datetime | None]]:
    """Each outbox row's attempts and when it was sent, oldest first."""
    async with units() as unit:
        found = await unit.session.execute(
            select(OutboxRow.attempts, OutboxRow.sent_at).order_by(OutboxRow.id)
        )
        return [(attempts, sent_at) for attempts, sent_at in found]


async def test_a_commit_hands_its_messages_over_claimed_and_they_are_sent_once(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    clock = SettableClock()
    sender = GatedSender(slow_chat="none")
    outbox = OutboxSender(uow, {Channel.TELEGRAM: sender}, clock=clock)
    handed = Handed(outbox)
    committing = handing_over(engine, handed)
    async with running(outbox), asyncio.timeout(5):
        await queue(committing, clock, ("42", 1), ("42", 2), ("43", 3))
        await sender.wait_for(("43", 3))
        await sender.wait_for(("42", 2))
        # The marks commit after the sends; the database has no event to wait on.
        while any(sent_at is None for _, sent_at in await rows(uow)):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert handed.taken == [[1, 2, 3]]
    assert handed.waits == []
    assert sender.delivered.index(("42", 1)) < sender.delivered.index(("42", 2))
    assert sorted(sender.delivered) == [("42", 1), ("42", 2), ("43", 3)]
    assert [attempts for attempts, _ in await rows(uow)] == [1, 1, 1]


async def test_a_chat_with_an_earlier_message_undelivered_is_left_to_the_claim_in_order(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    clock = SettableClock()
    sender = GatedSender(slow_chat="-100")  # a staff group waiting for Telegram's limit
    # No polling within the test's time: only the end of the first delivery can wake it.
    patient = DeliveryPolicy(idle_poll_seconds=60, held_back_poll_seconds=60)
    outbox = OutboxSender(uow, {Channel.TELEGRAM: sender}, clock=clock, policy=patient)
    handed = Handed(outbox)
    committing = handing_over(engine, handed)
    async with running(outbox), asyncio.timeout(5):
        await queue(committing, clock, ("-100", 1))
        await queue(committing, clock, ("-100", 2), ("42", 3))
        await sender.wait_for(("42", 3))
        assert handed.taken == [[1], [3]]
        assert handed.waits == [{(Channel.TELEGRAM, "-100")}]
        assert sender.delivered == [("42", 3)]
        sender.gate.set()
        await sender.wait_for(("-100", 2))
    assert sender.delivered == [("42", 3), ("-100", 1), ("-100", 2)]


async def test_nothing_is_claimed_for_a_sender_that_is_not_running(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    clock, sender = SettableClock(), RecordingSender()
    outbox = OutboxSender(uow, {Channel.TELEGRAM: sender}, clock=clock)
    handed = Handed(outbox)
    committing = handing_over(engine, handed)
    await queue(committing, clock, ("42", 1))
    assert handed.taken == []
    assert handed.waits == [{(Channel.TELEGRAM, "42")}]
    assert await outbox.run_once() == 1
    assert sender.delivered == [("42", 1)]


async def test_messages_handed_to_a_sender_that_stopped_are_sent_after_the_lease(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    clock, lease_seconds = SettableClock(), 60.0
    stuck = GatedSender(slow_chat="42")  # the process stops while this send hangs
    policy = DeliveryPolicy(lease_seconds=lease_seconds)
    outbox = OutboxSender(uow, {Channel.TELEGRAM: stuck}, clock=clock, policy=policy)
    committing = handing_over(engine, Handed(outbox))
    async with running(outbox):
        await queue(committing, clock, ("42", 1))
        await asyncio.sleep(0.05)
    assert stuck.delivered == []

    other = RecordingSender()
    after = OutboxSender(uow, {Channel.TELEGRAM: other}, clock=clock, policy=policy)
    assert await after.run_once() == 0  # still leased to the stopped sender
    clock.now += timedelta(seconds=lease_seconds)
    assert await after.run_once() == 1
    assert other.delivered == [("42", 1)]


async def test_a_full_flight_takes_nothing_more_and_claims_it_when_there_is_room(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    # In a burst, messages handed over beyond the flight could outwait their lease (and be
    # claimed and sent twice): past ``batch_size`` chats in flight nothing more is claimed.
    clock = SettableClock()
    sender = GatedSender(slow_chat="none")
    blocked = asyncio.Event()

    class Held(GatedSender):
        async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
            await blocked.wait()
            await sender.send(channel, chat_key, payload)

    patient = DeliveryPolicy(batch_size=2, idle_poll_seconds=60, held_back_poll_seconds=60)
    outbox = OutboxSender(uow, {Channel.TELEGRAM: Held("none")}, clock=clock, policy=patient)
    handed = Handed(outbox)
    committing = handing_over(engine, handed)
    async with running(outbox), asyncio.timeout(5):
        for chat, number in (("1", 1), ("2", 2), ("3", 3)):
            await queue(committing, clock, (chat, number))
        assert handed.taken == [[1], [2]]
        assert handed.waits == [{(Channel.TELEGRAM, "3")}]
        blocked.set()
        await sender.wait_for(("3", 3))
    assert sorted(sender.delivered) == [("1", 1), ("2", 2), ("3", 3)]


async def test_units_built_before_their_sender_hand_over_to_it_through_its_slot(
    engine: AsyncEngine,
) -> None:
    # The process's units need the sender and the sender needs units: the slot comes first.
    clock, sender = SettableClock(), GatedSender(slow_chat="none")
    slot = SenderSlot()
    units = SqlUnits(session_factory(engine), slot)
    assert slot.lease_until() is None  # empty: nothing is claimed for a sender not built
    outbox = OutboxSender(units, {Channel.TELEGRAM: sender}, clock=clock, slot=slot)
    async with running(outbox), asyncio.timeout(5):
        await queue(units, clock, ("42", 1))
        await sender.wait_for(("42", 1))
    with pytest.raises(RuntimeError, match="already holds a sender"):
        OutboxSender(units, {Channel.TELEGRAM: sender}, clock=clock, slot=slot)
