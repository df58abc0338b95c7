"""An update's replies are never lost: retry_after is honoured within a bound, then the outbox
takes them and delivers them when the chat is free, in order, once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.notifier import TelegramSender
from bot.pacing import ChatPacer
from bot.replies import ReplySender
from checkout.conversation.model import Button, Reply, reply_from_payload
from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from lipa_testing.clocks import SettableClock
from lipa_testing.memory_outbox import MemoryOutboxUnits
from lipa_testing.telegram_api import FakeTelegram, RateLimits

CUSTOMER = 42
CONFIRM = Reply(
    "Pay KES 1,500 for order WW-1042 from 0712 345 678?",
    buttons=((Button("Pay", "pay"), Button("Cancel", "cancel")),),
)
PIN = Reply("Check your phone and enter your M-Pesa PIN.", buttons=((Button("Status", "st"),),))
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as telegram:
        yield telegram


def paced_bot(fake: FakeTelegram) -> ExtBot[float]:
    """A bot as the service builds it: its sends paced (one process's view of the chats)."""
    return ExtBot(fake.token, base_url=fake.base_url, rate_limiter=ChatPacer())


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[ExtBot[float]]:
    async with paced_bot(fake) as bot:
        yield bot


@pytest.fixture
def uow() -> MemoryOutboxUnits:
    """The outbox on the in-memory unit of work (``tests/contracts/`` hold it to the databases'
    behaviour): these tests are of the replies and the sender, not of the database."""
    return MemoryOutboxUnits()


async def queued(uow: MemoryOutboxUnits) -> list[dict[str, Any]]:
    """The payloads in the outbox not yet sent, oldest first."""
    entries = sorted(uow.store.entries.values(), key=lambda entry: entry.id)
    return [entry.payload for entry in entries if entry.sent_at is None]


async def test_a_reply_answered_429_is_sent_again_once_retry_after_has_passed(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    fake.flood_next(1, retry_after=1)
    started = time.monotonic()
    sent = await ReplySender(uow, clock=SettableClock(NOW)).send(bot, CUSTOMER, [CONFIRM])
    assert sent == 1
    assert time.monotonic() - started >= 1.0
    assert fake.texts_to(CUSTOMER) == [CONFIRM.text]
    assert await queued(uow) == []


async def test_replies_held_back_beyond_the_bound_go_to_the_outbox_and_out_when_free(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    clock = SettableClock(NOW)
    fake.flood_next(1, retry_after=30)
    sent = await ReplySender(uow, clock=clock).send(bot, CUSTOMER, [CONFIRM, PIN])
    assert sent == 0
    assert fake.sent_to(CUSTOMER) == []
    assert [reply_from_payload(p) for p in await queued(uow)] == [CONFIRM, PIN]

    # The outbox honours Telegram's retry_after: the chat is held back, Telegram not asked.
    outbox = OutboxSender(
        uow, {Channel.TELEGRAM: TelegramSender(bot)}, clock=clock, policy=DeliveryPolicy()
    )
    assert await outbox.run_once() == 0
    assert fake.requests_by_method["sendMessage"] == 1
    clock.now += timedelta(seconds=10)
    assert await outbox.run_once() == 0  # not due yet

    # Thirty seconds later (here: a process whose pacer has no 429 to remember) they go
    # out, in order, once, with their buttons.
    clock.now += timedelta(seconds=21)
    async with paced_bot(fake) as later:
        outbox = OutboxSender(
            uow, {Channel.TELEGRAM: TelegramSender(later)}, clock=clock, policy=DeliveryPolicy()
        )
        assert await outbox.run_once() == 2
        assert await outbox.run_once() == 0
    messages = fake.sent_to(CUSTOMER)
    assert [message.text for message in messages] == [CONFIRM.text, PIN.text]
    assert messages[0].callback_data == ["pay", "cancel"]
    assert await queued(uow) == []


async def test_the_replies_after_one_held_back_follow_it_into_the_outbox(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    # Telegram counts this chat stricter than the pacer knows (another process sent to it):
    # the second reply is answered "retry after 29" and handed over with the third.
    fake.enforce_rate_limits(RateLimits(per_private_chat=(1, 30.0)))
    third = Reply("Paid.", buttons=((Button("Receipt", "r"),),))
    sent = await ReplySender(uow, clock=SettableClock(NOW)).send(
        bot, CUSTOMER, [CONFIRM, PIN, third]
    )
    assert sent == 1
    assert fake.texts_to(CUSTOMER) == [CONFIRM.text]
    assert [reply_from_payload(p) for p in await queued(uow)] == [PIN, third]


async def test_a_wait_longer_than_the_bound_hands_over_without_sleeping_it_out(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    fake.flood_next(1, retry_after=3)
    started = time.monotonic()
    sent = await ReplySender(uow, clock=SettableClock(NOW), max_wait=2.0).send(
        bot, CUSTOMER, [CONFIRM]
    )
    assert sent == 0
    assert time.monotonic() - started < 1.0
    assert [reply_from_payload(p) for p in await queued(uow)] == [CONFIRM]


async def test_telegram_unreachable_hands_the_replies_to_the_outbox(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    await fake.go_down("502")
    started = time.monotonic()
    sent = await ReplySender(uow, clock=SettableClock(NOW)).send(bot, CUSTOMER, [CONFIRM])
    assert sent == 0
    assert time.monotonic() - started >= 1.5  # tried three times, half a second apart and more
    assert [reply_from_payload(p) for p in await queued(uow)] == [CONFIRM]


async def test_a_customer_who_blocked_the_bot_gets_nothing_queued(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    fake.block_bot(CUSTOMER)
    sent = await ReplySender(uow, clock=SettableClock(NOW)).send(bot, CUSTOMER, [CONFIRM, PIN])
    assert sent == 0  # neither went out, and neither ever can: nothing to retry
    assert await queued(uow) == []


async def test_a_plain_reply_goes_out_with_the_next_as_one_message(
    fake: FakeTelegram, bot: ExtBot[float], uow: MemoryOutboxUnits
) -> None:
    fake.enforce_rate_limits()
    menu = Reply("Welcome to Wildwash.", buttons=((Button("Pay an order", "pay_order"),),))
    sent = await ReplySender(uow, clock=SettableClock(NOW)).send(
        bot, CUSTOMER, [Reply("Help."), menu]
    )
    assert sent == 1
    (message,) = fake.sent_to(CUSTOMER)
    assert message.text == "Help.\n\nWelcome to Wildwash."
    assert message.callback_data == ["pay_order"]
