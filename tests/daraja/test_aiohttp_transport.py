"""Both Daraja transports keep httpx's meaning: what failed before sending, and what after.

Each case runs against a real socket: a port nobody listens on, a server that hangs up on
the request, one that never answers, and an ordinary aiohttp server. The cases run on each
side of the ``DARAJA_HTTP_TRANSPORT`` switch (the ``http_transport`` fixture): the aiohttp
transport, which maps aiohttp's failures itself, and httpx's own, held to the same rule.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from daraja.aiohttp_transport import AiohttpTransport
from daraja.client import NOT_SENT_ERRORS, STK_PUSH_PATH, DarajaClient
from daraja.config import DarajaConfig
from daraja.errors import DarajaUnavailable, PushOutcomeUnknown
from daraja.retry import RetryPolicy
from daraja.transport import DEFAULT_LIMITS, HttpTransport, build_http_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a bare TCP server with the given connection handler; yields its base URL."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def client(
    base_url: str,
    http_transport: HttpTransport = HttpTransport.AIOHTTP,
    *,
    read: float = 5.0,
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(connect=2.0, read=read, write=2.0, pool=2.0)
    return build_http_client(base_url, timeout=timeout, http_transport=http_transport)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_refused_connection_is_a_failure_before_sending(
    http_transport: HttpTransport,
) -> None:
    async with client(f"http://127.0.0.1:{unused_port()}", http_transport) as http:
        with pytest.raises(httpx.ConnectError) as failure:
            await http.post("/push", json={"a": 1})
    assert isinstance(failure.value, NOT_SENT_ERRORS)


async def test_a_server_hanging_up_on_the_request_leaves_the_outcome_unknown(
    raw_server: Callable[[Handler], Awaitable[str]], http_transport: HttpTransport
) -> None:
    received = asyncio.Event()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.set()
        writer.close()

    async with client(await raw_server(hang_up), http_transport) as http:
        with pytest.raises(httpx.TransportError) as failure:
            await http.post("/push", json={"a": 1})
    assert received.is_set()
    assert not isinstance(failure.value, NOT_SENT_ERRORS)
    assert isinstance(failure.value, httpx.RemoteProtocolError)


async def test_a_server_that_never_answers_is_a_read_timeout(
    raw_server: Callable[[Handler], Awaitable[str]], http_transport: HttpTransport
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)
        writer.close()

    async with client(await raw_server(silent), http_transport, read=0.2) as http:
        with pytest.raises(httpx.ReadTimeout) as failure:
            await http.post("/push", json={"a": 1})
    assert not isinstance(failure.value, NOT_SENT_ERRORS)


async def echo(request: web.Request) -> web.Response:
    body = await request.json()
    answer = {
        "method": request.method,
        "path": request.path_qs,
        "body": body,
        "authorization": request.headers.get("Authorization"),
        "content_type": request.headers.get("Content-Type"),
    }
    if request.path == "/gzip":
        return web.Response(
            body=gzip.compress(json.dumps(answer).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    return web.json_response(answer, status=201, headers={"X-Trace": "t-1"})


async def moved(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/elsewhere")


@pytest.fixture
async def app_server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/gzip", echo)
    app.router.add_post("/moved", moved)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_requests_and_answers_cross_unchanged(
    app_server: str, http_transport: HttpTransport
) -> None:
    async with client(app_server, http_transport) as http:
        if http_transport == HttpTransport.AIOHTTP:
            assert isinstance(http._transport, AiohttpTransport)
        else:
            assert isinstance(http._transport, httpx.AsyncHTTPTransport)
        answer = await http.post(
            "/echo?x=1", json={"Amount": 10}, headers={"Authorization": "Bearer t"}
        )
        zipped = await http.post("/gzip", json={"Amount": 11})
        redirect = await http.post("/moved", json={})
    assert answer.status_code == 201
    assert answer.headers["X-Trace"] == "t-1"
    assert answer.json() == {
        "method": "POST",
        "path": "/echo?x=1",
        "body": {"Amount": 10},
        "authorization": "Bearer t",
        "content_type": "application/json",
    }
    assert zipped.json()["body"] == {"Amount": 11}
    assert redirect.status_code == 302  # never followed: it could carry the token elsewhere
    assert redirect.headers["Location"] == "/elsewhere"


async def test_a_proxy_in_the_environment_keeps_httpx_s_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with build_http_client("https://api.safaricom.co.ke") as http:
        assert not isinstance(http._transport, AiohttpTransport)
    async with httpx.AsyncClient(transport=AiohttpTransport(DEFAULT_LIMITS)) as plain:
        assert isinstance(plain._transport, AiohttpTransport)


async def test_the_default_transport_is_aiohttp_and_the_switch_selects_httpx_s_own() -> None:
    async with build_http_client("https://api.safaricom.co.ke") as http:
        assert isinstance(http._transport, AiohttpTransport)
    async with build_http_client(
        "https://api.safaricom.co.ke", http_transport=HttpTransport.HTTPX
    ) as http:
        assert isinstance(http._transport, httpx.AsyncHTTPTransport)


TOKEN_BODY = b'{"access_token": "t-1", "expires_in": "3599"}'
TOKEN_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    + b"Content-Length: %d\r\n\r\n" % len(TOKEN_BODY)
    + TOKEN_BODY
)


class DarajaOnASocket:
    """A bare Daraja on a real socket: answers token requests; pushes are counted, never answered.

    ``stop_listening_after_token`` closes the listening socket once a token is handed out,
    so the push that follows finds the port refusing connections.
    """

    def __init__(self, *, stop_listening_after_token: bool = False) -> None:
        self.pushes = 0
        self._stop_after_token = stop_listening_after_token
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET "):
            writer.write(TOKEN_ANSWER)
            await writer.drain()
            writer.close()
            if self._stop_after_token and self._server is not None:
                self._server.close()
            return
        if STK_PUSH_PATH.encode() in head.split(b"\r\n", 1)[0]:
            self.pushes += 1
        await asyncio.sleep(5)  # accepted, never answered
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def test_a_push_to_a_server_that_accepts_and_never_answers_is_sent_once(
    sim_config: DarajaConfig, http_transport: HttpTransport
) -> None:
    daraja = DarajaOnASocket()
    base_url = await daraja.start()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    try:
        async with client(base_url, http_transport, read=0.3) as http:
            push = DarajaClient(http, sim_config, retry=RetryPolicy(attempts=3, sleep=sleep))
            with pytest.raises(PushOutcomeUnknown):
                await push.stk_push("0711000001", 10, "WW-1", "Laundry", "https://x.example/cb")
    finally:
        await daraja.stop()
    assert daraja.pushes == 1  # never sent again: it may have prompted the customer
    assert sleeps == []


async def test_a_push_to_a_port_refusing_connections_is_tried_again(
    sim_config: DarajaConfig, http_transport: HttpTransport
) -> None:
    daraja = DarajaOnASocket(stop_listening_after_token=True)
    base_url = await daraja.start()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    try:
        async with client(base_url, http_transport, read=0.3) as http:
            push = DarajaClient(http, sim_config, retry=RetryPolicy(attempts=3, sleep=sleep))
            with pytest.raises(DarajaUnavailable) as failure:
                await push.stk_push("0711000001", 10, "WW-1", "Laundry", "https://x.example/cb")
    finally:
        await daraja.stop()
    assert isinstance(failure.value.__cause__, NOT_SENT_ERRORS)
    assert daraja.pushes == 0
    assert len(sleeps) == 2  # certainly not sent, so sent again, up to the three attempts
