"""The outbox sender delivers each message once, in order per chat, retrying failures."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.outbox.ports import DeliveryFailed, OutboxUnitOfWorkFactory
from lipa_testing.clocks import SettableClock
from lipa_testing.memory_outbox import MemoryOutboxUnits

UowFactory = OutboxUnitOfWorkFactory


@pytest.fixture
def uow() -> MemoryOutboxUnits:
    """The outbox on the in-memory unit of work: these tests are the sender's, and the
    outbox's own rules are checked on every database by ``tests/contracts/``."""
    return MemoryOutboxUnits()


@dataclass
class RecordingSender:
    """Fails as scripted, then records what it delivers."""

    failures: list[DeliveryFailed] = field(default_factory=list)
    delivered: list[tuple[str, Any]] = field(default_factory=list)
    crash: bool = False

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        if self.crash:
            self.crash = False
            raise RuntimeError("bug")
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((chat_key, payload["n"]))


async def queue(uow: UowFactory, clock: SettableClock, *items: tuple[str, int]) -> None:
    async with uow() as unit:
        for chat, number in items:
            await unit.outbox.add(
                channel=Channel.TELEGRAM, chat_key=chat, payload={"n": number}, now=clock()
            )
        await unit.commit()


def sender_for(uow: UowFactory, clock: SettableClock, sender: RecordingSender) -> OutboxSender:
    return OutboxSender(uow, {Channel.TELEGRAM: sender}, clock=clock, policy=DeliveryPolicy())


async def test_every_message_is_delivered_once(uow: UowFactory) -> None:
    clock, sender = SettableClock(), RecordingSender()
    await queue(uow, clock, *[(str(chat), n) for n in range(3) for chat in range(5)])
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 15
    assert await outbox.run_once() == 0
    assert sorted(sender.delivered) == sorted((str(c), n) for n in range(3) for c in range(5))


async def test_messages_to_one_chat_keep_their_order_across_a_retry(uow: UowFactory) -> None:
    clock = SettableClock()
    sender = RecordingSender(failures=[DeliveryFailed("429", retry_after=5)])
    await queue(uow, clock, ("42", 1), ("42", 2), ("42", 3))
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=4)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=1)
    assert await outbox.run_once() == 3
    assert sender.delivered == [("42", 1), ("42", 2), ("42", 3)]


async def test_a_failure_without_retry_after_backs_off_and_is_retried(uow: UowFactory) -> None:
    clock = SettableClock()
    sender = RecordingSender(failures=[DeliveryFailed("network", retry_after=0.0)] * 2)
    await queue(uow, clock, ("42", 1))
    outbox = sender_for(uow, clock, sender)
    await outbox.run_once()
    clock.now += timedelta(seconds=1)
    await outbox.run_once()
    clock.now += timedelta(seconds=2)
    assert await outbox.run_once() == 1
    assert sender.delivered == [("42", 1)]


async def test_a_crashing_sender_loses_nothing(uow: UowFactory) -> None:
    clock = SettableClock()
    sender = RecordingSender(crash=True)
    await queue(uow, clock, ("42", 1))
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=2)
    assert await outbox.run_once() == 1


async def test_a_hopeless_message_is_given_up_and_does_not_block_the_chat(
    uow: UowFactory,
) -> None:
    clock = SettableClock()
    sender = RecordingSender(failures=[DeliveryFailed("blocked", retry_after=None)])
    await queue(uow, clock, ("42", 1), ("42", 2))
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 1
    assert sender.delivered == [("42", 2)]
    async with uow() as unit:
        assert await unit.outbox.next_due_at() is None


async def test_a_message_claimed_by_a_dead_sender_is_sent_after_the_lease(
    uow: UowFactory,
) -> None:
    clock = SettableClock()
    await queue(uow, clock, ("42", 1))
    async with uow() as unit:  # a sender claims it, then dies before sending
        await unit.outbox.claim_due(now=clock(), limit=10, lease_seconds=60)
        await unit.commit()
    sender = RecordingSender()
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=61)
    assert await outbox.run_once() == 1


async def test_staff_notifications_due_together_go_out_as_one_digest(uow: UowFactory) -> None:
    clock = SettableClock()
    async with uow() as unit:
        for number in range(30):
            await unit.outbox.add(
                channel=Channel.TELEGRAM,
                chat_key="-100",
                payload={"text": f"PAID: payment {number}", "digest": True, "n": number},
                now=clock(),
            )
        await unit.outbox.add(
            channel=Channel.TELEGRAM, chat_key="42", payload={"text": "Paid", "n": 99}, now=clock()
        )
        await unit.commit()
    texts: list[tuple[str, str]] = []

    class Recorder:
        async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
            texts.append((chat_key, payload["text"]))

    outbox = OutboxSender(uow, {Channel.TELEGRAM: Recorder()}, clock=clock)
    assert await outbox.run_once() == 31
    staff = [text for chat, text in texts if chat == "-100"]
    assert len(staff) == 1
    assert all(f"payment {number}" in staff[0] for number in range(30))
    assert staff[0].index("payment 0") < staff[0].index("payment 29")


async def test_a_digest_never_exceeds_its_size(uow: UowFactory) -> None:
    clock = SettableClock()
    async with uow() as unit:
        for number in range(50):
            await unit.outbox.add(
                channel=Channel.TELEGRAM,
                chat_key="-100",
                payload={"text": "x" * 200 + str(number), "digest": True},
                now=clock(),
            )
        await unit.commit()
    sizes: list[int] = []

    class Recorder:
        async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
            sizes.append(len(payload["text"]))

    policy = DeliveryPolicy(max_digest_chars=1000)
    assert (
        await OutboxSender(
            uow, {Channel.TELEGRAM: Recorder()}, clock=clock, policy=policy
        ).run_once()
        == 50
    )
    assert max(sizes) <= 1000
    assert len(sizes) == 13


async def test_a_throttled_chat_holds_its_whole_queue_until_telegram_allows_it(
    uow: UowFactory,
) -> None:
    clock = SettableClock()
    await queue(uow, clock, ("-100", 1))
    sender = RecordingSender(failures=[DeliveryFailed("429", retry_after=30)])
    outbox = sender_for(uow, clock, sender)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=1)
    await queue(uow, clock, ("-100", 2), ("42", 3))
    assert await outbox.run_once() == 1  # the other chat is not held
    clock.now += timedelta(seconds=29)
    assert await outbox.run_once() == 2
    assert sender.delivered == [("42", 3), ("-100", 1), ("-100", 2)]


@dataclass
class GatedSender:
    """Records deliveries; sends to ``slow_chat`` wait until ``gate`` opens."""

    slow_chat: str
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: list[tuple[str, Any]] = field(default_factory=list)
    arrivals: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        if chat_key == self.slow_chat:
            await self.gate.wait()
        async with self.arrivals:
            self.delivered.append((chat_key, payload["n"]))
            self.arrivals.notify_all()

    async def wait_for(self, item: tuple[str, Any]) -> None:
        async with self.arrivals:
            await self.arrivals.wait_for(lambda: item in self.delivered)


async def test_a_chat_slow_to_take_its_messages_holds_up_no_other_chat(uow: UowFactory) -> None:
    clock = SettableClock()
    sender = GatedSender(slow_chat="-100")  # a staff group held to 20 messages a minute
    outbox = OutboxSender(uow, {Channel.TELEGRAM: sender}, clock=clock, policy=DeliveryPolicy())
    await queue(uow, clock, ("-100", 1), ("42", 2))
    running = asyncio.create_task(outbox.run_forever())
    try:
        async with asyncio.timeout(5):
            await sender.wait_for(("42", 2))
            await queue(uow, clock, ("43", 3))
            outbox.wake()
            await sender.wait_for(("43", 3))
            assert ("-100", 1) not in sender.delivered
            sender.gate.set()
            await sender.wait_for(("-100", 1))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert sorted(sender.delivered) == [("-100", 1), ("42", 2), ("43", 3)]
