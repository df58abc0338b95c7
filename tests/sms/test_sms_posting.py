"""The SMS client means the same on both sides of the transport switch, on real sockets.

By default each SMS is posted by :class:`daraja.aiohttp_transport.AiohttpForms` (aiohttp's
pool, no httpx client around it); with ``DARAJA_HTTP_TRANSPORT=httpx`` or a proxy, by httpx's
own client. Either way the fake Africa's Talking API gets the same form and key, and every
failure becomes the same :class:`sms.SmsUnavailable`, saying whether it timed out.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from daraja.aiohttp_transport import AiohttpForms
from daraja.transport import HttpTransport, cheap_forms
from lipa_testing.sms_api import FakeSmsApi
from sms import AfricasTalkingSms, SmsConfig, SmsUnavailable, build_sms_http_client
from sms.client import FormPoster

TIMEOUT = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(params=[HttpTransport.AIOHTTP, HttpTransport.HTTPX])
def http_transport(request: pytest.FixtureRequest) -> HttpTransport:
    return HttpTransport(request.param)


@pytest.fixture
async def posters(http_transport: HttpTransport) -> AsyncIterator[Callable[[str], FormPoster]]:
    """Makes the SMS client's poster for a base URL, as ``lipa serve`` does; closes them."""
    made: list[AiohttpForms | httpx.AsyncClient] = []

    def make(base_url: str) -> FormPoster:
        headers = {"Accept": "application/json"}
        poster = cheap_forms(
            base_url, http_transport, timeout=TIMEOUT, headers=headers
        ) or build_sms_http_client(base_url, timeout=TIMEOUT)
        assert isinstance(poster, AiohttpForms) is (http_transport == HttpTransport.AIOHTTP)
        made.append(poster)
        return poster

    yield make
    for poster in made:
        await poster.aclose()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start(handler: Handler, servers: list[asyncio.Server]) -> str:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    servers.append(server)
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_an_accepted_sms_reaches_the_api_with_its_form_and_key(
    posters: Callable[[str], FormPoster],
) -> None:
    async with FakeSmsApi() as api:
        config = SmsConfig(api.username, api.api_key, sender_id="WILDWASH")
        sent = await AfricasTalkingSms(posters(api.base_url), config).send(
            "+254712345678", "Paid: KES 1,500"
        )
        wrong = SmsConfig(api.username, "not-the-key")
        with pytest.raises(SmsUnavailable, match="credentials refused"):
            await AfricasTalkingSms(posters(api.base_url), wrong).send("+254712345678", "Hi")
    [received] = api.messages
    assert (received.to, received.message, received.sender) == (
        "+254712345678",
        "Paid: KES 1,500",
        "WILDWASH",
    )
    assert (sent.message_id, sent.status_code) == (received.message_id, 101)


async def test_a_refused_connection_is_unavailable(
    posters: Callable[[str], FormPoster],
) -> None:
    sms = AfricasTalkingSms(posters(f"http://127.0.0.1:{unused_port()}"), SmsConfig("u", "k"))
    with pytest.raises(SmsUnavailable, match="could not reach the SMS API: ConnectError"):
        await sms.send("+254712345678", "Hi")


async def test_an_api_that_never_answers_times_out_with_the_phone_masked(
    posters: Callable[[str], FormPoster],
) -> None:
    servers: list[asyncio.Server] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)
        writer.close()

    try:
        sms = AfricasTalkingSms(posters(await start(silent, servers)), SmsConfig("u", "k"))
        with pytest.raises(SmsUnavailable, match=r"timed out sending to 2547\*\*\*\*5678"):
            await sms.send("+254712345678", "Hi")
    finally:
        for server in servers:
            server.close()


async def test_an_api_hanging_up_is_unavailable(posters: Callable[[str], FormPoster]) -> None:
    servers: list[asyncio.Server] = []

    async def rude(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.close()

    try:
        sms = AfricasTalkingSms(posters(await start(rude, servers)), SmsConfig("u", "k"))
        with pytest.raises(SmsUnavailable, match="could not reach the SMS API"):
            await sms.send("+254712345678", "Hi")
    finally:
        for server in servers:
            server.close()
