"""Slow and greedy clients cannot hold the server: body deadline, requests per address.

Served over a real socket as `lipa serve` serves it (an AppRunner, not the test server), by
clients that speak HTTP by hand so they can be as slow as an attacker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from aiohttp import web

from checkout.payments.settling.settle import SettlementService
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app
from webhook.limits import ClientLimits
from webhook.mpesa import SourceCheck

# Nothing here is stored: one database is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def serve(
    uow: Callable[[], SqlUnitOfWork], limits: ClientLimits, sources: SourceCheck | None = None
) -> AsyncIterator[int]:
    """The webhook application on a free port; yields the port."""
    app = create_app(
        WebhookConfig(
            SettlementService(uow, clock=lambda: datetime.now(UTC)),
            "callback-secret",
            limits=limits,
            sources=sources or SourceCheck(),
        )
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def slow_post(port: int, headers: str = "") -> Connection:
    """A callback POST promising 1000 bytes of body and sending one."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /mpesa/callback/callback-secret HTTP/1.1\r\nHost: lipa\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n" + headers.encode() + b"\r\n{"
    )
    await writer.drain()
    return reader, writer


async def get_status(port: int, headers: str = "") -> int:
    """The status of a complete GET /healthz on a new connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /healthz HTTP/1.1\r\nHost: lipa\r\n{headers}\r\n".encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


async def answer_of(connection: Connection, within: float) -> tuple[int, bool]:
    """The status a slow connection is answered with, and whether the server then closed it."""
    reader, writer = connection
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), within)
    closed = await asyncio.wait_for(reader.read(), within) is not None  # reads up to EOF
    writer.close()
    return int(head.split()[1]), closed


async def test_a_body_that_does_not_arrive_in_time_gets_408_and_the_connection_closes(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    async with serve(uow, ClientLimits(body_seconds=0.5, per_address=5)) as port:
        started = time.monotonic()
        connection = await slow_post(port)
        status, closed = await answer_of(connection, within=3)
        assert status == 408
        assert closed
        assert 0.4 < time.monotonic() - started < 3


async def test_one_address_holds_at_most_its_bound_of_requests(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    async with serve(uow, ClientLimits(body_seconds=2.0, per_address=5)) as port:
        slow = [await slow_post(port) for _ in range(5)]
        await asyncio.sleep(0.3)  # all five are being read
        assert await get_status(port) == 429
        # Once the slow ones are sent away, the address is served again.
        answers = await asyncio.gather(*(answer_of(c, within=5) for c in slow))
        assert [status for status, _closed in answers] == [408] * 5
        assert await get_status(port) == 200


async def test_behind_a_proxy_each_forwarded_address_has_its_own_bound(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    proxy = SourceCheck(trusted_header="X-Forwarded-For")
    async with serve(uow, ClientLimits(body_seconds=2.0, per_address=5), proxy) as port:
        attacker = "X-Forwarded-For: 203.0.113.9\r\n"
        slow = [await slow_post(port, attacker) for _ in range(5)]
        await asyncio.sleep(0.3)
        assert await get_status(port, attacker) == 429
        # The proxy's own address is shared by everyone; only the forwarded one counts.
        assert await get_status(port, "X-Forwarded-For: 198.51.100.7\r\n") == 200
        for _reader, writer in slow:
            writer.close()


async def test_a_body_sent_in_time_is_answered_as_before(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    async with serve(uow, ClientLimits(body_seconds=2.0, per_address=5)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"Body": {}}'
        writer.write(
            b"POST /mpesa/callback/callback-secret HTTP/1.1\r\nHost: lipa\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # a little late, well within the deadline
        writer.write(body)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert int(head.split()[1]) == 400  # parsed and refused as malformed, as before
        writer.close()
