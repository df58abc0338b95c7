"""The bot's pacer keeps each chat and the bot within Telegram's flood limits, on real sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.notifier import retry_after_seconds
from bot.pacing import ChatPacer
from lipa_testing.telegram_api import FakeTelegram, RateLimits

CUSTOMER = 42
GROUP = -1001

BotFactory = Callable[[ChatPacer], ExtBot[float]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as telegram:
        telegram.enforce_rate_limits()
        yield telegram


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[ExtBot[float]]:
    async with ExtBot(fake.token, base_url=fake.base_url, rate_limiter=ChatPacer()) as bot:
        yield bot


async def test_messages_to_one_private_chat_go_a_second_apart_and_none_is_refused(
    fake: FakeTelegram, bot: ExtBot[float]
) -> None:
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(CUSTOMER, f"message {n}") for n in range(3)))
    assert time.monotonic() - started >= 2.0
    assert fake.texts_to(CUSTOMER) == ["message 0", "message 1", "message 2"]
    assert fake.too_many_requests == 0


async def test_a_chat_waiting_for_its_second_does_not_hold_back_other_chats(
    fake: FakeTelegram, bot: ExtBot[float]
) -> None:
    await bot.send_message(CUSTOMER, "first")
    waiting = asyncio.create_task(bot.send_message(CUSTOMER, "second"))
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(chat, "hello") for chat in range(100, 110)))
    assert time.monotonic() - started < 0.8
    assert not waiting.done()
    await waiting
    assert fake.too_many_requests == 0


async def test_a_message_the_chat_cannot_take_within_the_bound_fails_without_asking_telegram(
    fake: FakeTelegram, bot: ExtBot[float]
) -> None:
    await bot.send_message(CUSTOMER, "first")
    started = time.monotonic()
    with pytest.raises(RetryAfter) as held:
        await bot.send_message(CUSTOMER, "second", rate_limit_args=0.2)
    assert time.monotonic() - started < 0.2
    assert 0.5 < retry_after_seconds(held.value) <= 1.0
    assert fake.requests_by_method["sendMessage"] == 1


async def test_telegram_s_retry_after_holds_the_chat_back_until_it_has_passed(
    fake: FakeTelegram, bot: ExtBot[float]
) -> None:
    fake.flood_next(1, retry_after=2)
    with pytest.raises(RetryAfter):
        await bot.send_message(CUSTOMER, "refused")
    with pytest.raises(RetryAfter) as held:
        await bot.send_message(CUSTOMER, "too soon", rate_limit_args=0.5)
    assert 1.5 < retry_after_seconds(held.value) <= 2.0
    assert fake.requests_by_method["sendMessage"] == 1  # the second never reached Telegram
    started = time.monotonic()
    await bot.send_message(CUSTOMER, "in time", rate_limit_args=3.0)
    assert time.monotonic() - started >= 1.5
    assert fake.texts_to(CUSTOMER) == ["in time"]


async def test_a_group_takes_twenty_at_once_then_waits_for_its_minute(
    fake: FakeTelegram, bot: ExtBot[float]
) -> None:
    for n in range(20):
        await bot.send_message(GROUP, f"staff note {n}")
    with pytest.raises(RetryAfter) as held:
        await bot.send_message(GROUP, "one too many", rate_limit_args=0.1)
    assert 55 <= retry_after_seconds(held.value) <= 60
    assert len(fake.texts_to(GROUP)) == 20
    assert fake.too_many_requests == 0


async def test_the_bot_as_a_whole_keeps_within_its_rate(fake: FakeTelegram) -> None:
    fake.enforce_rate_limits(RateLimits(overall=(5, 1.0)))
    pacer = ChatPacer(overall_per_second=5)
    async with ExtBot(fake.token, base_url=fake.base_url, rate_limiter=pacer) as bot:
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(chat, "hello") for chat in range(100, 111)))
    assert time.monotonic() - started >= 2.0
    assert len(fake.sent) == 11
    assert fake.too_many_requests == 0


async def test_reading_a_chat_is_not_paced(fake: FakeTelegram, bot: ExtBot[float]) -> None:
    await bot.send_message(CUSTOMER, "first")
    started = time.monotonic()
    await bot.send_chat_action(CUSTOMER, "typing")
    assert time.monotonic() - started < 0.5
