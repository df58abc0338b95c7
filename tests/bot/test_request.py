"""The aiohttp request layer: Bot API calls arrive as PTB would send them; failures map to PTB's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.request import AiohttpRequest
from lipa.demo import free_port
from lipa_testing.telegram_api import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as telegram:
        yield telegram


def bot_on(base_url: str, token: str, **options: Any) -> Bot:
    return Bot(token, base_url=base_url, request=AiohttpRequest(**options))


async def test_a_message_with_buttons_arrives_and_every_status_is_reported(
    fake: FakeTelegram,
) -> None:
    statuses: list[int] = []
    async with bot_on(fake.base_url, fake.token, on_status=statuses.append) as bot:
        await bot.send_message(42, "Paid", reply_markup={"inline_keyboard": [[
            {"text": "Receipt", "callback_data": "receipt"}
        ]]})  # fmt: skip
    message = await fake.wait_for_message_to(42, "Paid")
    assert message.callback_data == ["receipt"]
    assert statuses == [200, 200]  # getMe, then sendMessage


async def test_a_document_is_uploaded_with_its_name_and_caption(fake: FakeTelegram) -> None:
    async with bot_on(fake.base_url, fake.token) as bot:
        await bot.send_document(42, b"a,b\n1,2\n", filename="payments.csv", caption="November")
    sent = await fake.wait_for(lambda message: message.method == "sendDocument")
    assert (sent.file, sent.filename, sent.caption) == (b"a,b\n1,2\n", "payments.csv", "November")


async def test_a_refused_connection_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{free_port()}/bot1:x/getMe", "POST")
    finally:
        await request.shutdown()


async def test_an_answer_slower_than_the_read_timeout_is_timed_out() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", slow)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    request = AiohttpRequest(read_timeout=0.1)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"http://127.0.0.1:{port}/bot1:x/getMe", "POST")
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/bot1:x/getMe", "POST")
