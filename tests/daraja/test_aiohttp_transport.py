"""The aiohttp transport keeps httpx's meaning: what failed before sending, and what after.

Each case runs against a real socket: a port nobody listens on, a server that hangs up on
the request, one that never answers, and an ordinary aiohttp server.
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
from daraja.client import NOT_SENT_ERRORS
from daraja.transport import DEFAULT_LIMITS, build_http_client

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


def client(base_url: str, *, read: float = 5.0) -> httpx.AsyncClient:
    timeout = httpx.Timeout(connect=2.0, read=read, write=2.0, pool=2.0)
    return build_http_client(base_url, timeout=timeout)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_refused_connection_is_a_failure_before_sending() -> None:
    async with client(f"http://127.0.0.1:{unused_port()}") as http:
        with pytest.raises(httpx.ConnectError) as failure:
            await http.post("/push", json={"a": 1})
    assert isinstance(failure.value, NOT_SENT_ERRORS)


async def test_a_server_hanging_up_on_the_request_leaves_the_outcome_unknown(
    raw_server: Callable[[Handler], Awaitable[str]],
) -> None:
    received = asyncio.Event()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.set()
        writer.close()

    async with client(await raw_server(hang_up)) as http:
        with pytest.raises(httpx.TransportError) as failure:
            await http.post("/push", json={"a": 1})
    assert received.is_set()
    assert not isinstance(failure.value, NOT_SENT_ERRORS)
    assert isinstance(failure.value, httpx.RemoteProtocolError)


async def test_a_server_that_never_answers_is_a_read_timeout(
    raw_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)
        writer.close()

    async with client(await raw_server(silent), read=0.2) as http:
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


async def test_requests_and_answers_cross_unchanged(app_server: str) -> None:
    async with client(app_server) as http:
        assert isinstance(http._transport, AiohttpTransport)
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
