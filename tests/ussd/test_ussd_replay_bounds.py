"""A session's text cannot make one request replay without end (issue: replay amplification)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from aiohttp import web

from checkout.channels.ussd.sessions import MAX_INPUTS
from checkout.domain.records import Channel
from tests.ussd.conftest import CALLER, CALLER_KEY, MakeShop, UssdShop
from webhook.ussd import USSD_PATH


async def conversation_version(shop: UssdShop) -> int:
    async with shop.uow() as unit:
        stored = await unit.conversations.load(Channel.USSD, CALLER_KEY)
    return stored.version if stored is not None else 0


async def test_a_text_of_thousands_of_inputs_ends_the_session_at_once(shop: UssdShop) -> None:
    phone = shop.phone()
    started = time.monotonic()
    answer = await phone.post("*".join(["1", "0"] * 4000))  # 16 KB, 8,000 inputs
    assert answer == "END This session has too many steps. Please dial again."
    assert time.monotonic() - started < 2
    # Nothing was replayed: no conversation was touched and no session stored.
    assert await conversation_version(shop) == 0
    async with shop.uow() as unit:
        assert await unit.ussd_sessions.get(phone.session_id) is None


async def test_a_session_within_the_bound_is_replayed_in_full(shop: UssdShop) -> None:
    inputs = ["1", "0"] * (MAX_INPUTS // 2)
    answer = await shop.phone().post("*".join(inputs))
    assert answer.startswith("CON Wildwash")
    assert "1. Pay an order" in answer


async def test_the_bound_is_told_in_swahili_too(make_shop: MakeShop) -> None:
    shop = await make_shop(language="sw")
    answer = await shop.phone().post("*".join(["1"] * (MAX_INPUTS + 1)))
    assert answer == "END Kipindi hiki kina hatua nyingi mno. Tafadhali piga tena."


async def test_a_request_out_of_time_stops_replaying_and_stores_nothing(
    make_shop: MakeShop,
) -> None:
    shop = await make_shop(answer_seconds=0.0)
    phone = shop.phone()
    answer = await phone.post("*".join(["1", "0"] * 10))
    assert answer == "END Sorry, something went wrong on our side. Please try again."
    assert await conversation_version(shop) <= 1  # at most the menu was shown
    async with shop.uow() as unit:
        assert await unit.ussd_sessions.get(phone.session_id) is None


async def test_a_caller_who_hangs_up_stops_the_replay(shop: UssdShop) -> None:
    body = urlencode(
        {
            "sessionId": "ATUid_gone",
            "serviceCode": "*384*1042#",
            "phoneNumber": CALLER,
            "networkCode": "63902",
            "text": "*".join(["1", "0"] * (MAX_INPUTS // 2)),
        }
    ).encode()
    # Served as `lipa serve` serves it: aiohttp does not cancel handlers of gone clients
    # (the test server would, and hide the replay going on).
    runner = web.AppRunner(shop.client.server.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {USSD_PATH} HTTP/1.1\r\nHost: lipa\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    for _poll in range(2000):  # until the replay is under way
        if await conversation_version(shop) >= 2:
            break
        await asyncio.sleep(0.005)
    writer.close()  # the caller hangs up before the answer
    await writer.wait_closed()
    # Wait until the server has stopped changing the conversation.
    last, still = -1, 0
    while still < 5:
        await asyncio.sleep(0.1)
        version = await conversation_version(shop)
        still = still + 1 if version == last else 0
        last = version
    assert last < MAX_INPUTS // 2  # a full replay saves the conversation for every input
    async with shop.uow() as unit:
        assert await unit.ussd_sessions.get("ATUid_gone") is None
    del reader
    await runner.cleanup()
