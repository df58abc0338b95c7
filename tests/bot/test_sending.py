"""Sending a text through ``do_api_request``: PTB's preference warning stays inside the call."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Forbidden

from bot.sending import send_text
from lipa_testing.telegram_api import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as telegram:
        yield telegram


async def test_a_text_is_sent_without_a_warning_and_the_warning_filters_are_left_as_they_were(
    fake: FakeTelegram,
) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # shows every warning, whatever filters exist
            filters_before = list(warnings.filters)
            await asyncio.gather(*(send_text(bot, chat, "Paid") for chat in (41, 42, 43)))
            filters_after = list(warnings.filters)
    assert [str(warning.message) for warning in caught] == []
    assert filters_after == filters_before
    assert [message.text for message in fake.sent_to(42)] == ["Paid"]


async def test_telegram_s_refusal_reaches_the_caller_through_the_quiet_call(
    fake: FakeTelegram,
) -> None:
    fake.block_bot(42)
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        with pytest.raises(Forbidden):
            await send_text(bot, 42, "Paid")


async def test_a_send_waiting_on_telegram_can_be_cancelled(fake: FakeTelegram) -> None:
    arrived = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrived.set()
        await asyncio.sleep(10)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Bot(fake.token, base_url=fake.base_url) as initialised:
            silent = Bot(initialised.token, base_url=f"http://127.0.0.1:{port}/bot")
            sending = asyncio.create_task(send_text(silent, 42, "Paid"))
            async with asyncio.timeout(5):
                await arrived.wait()
            sending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sending
            assert sending.cancelled()
            await silent.shutdown()
    finally:
        server.close()
        await server.wait_closed()
