"""The outbox gives way to requests in progress: few sends at once while the server is busy.

A burst of callbacks settles a burst of payments; their receipts must not crowd the event loop
the callbacks' acknowledgements need. While the web server has a request in progress, the
sender runs at most ``busy_slots`` sends at once; idle, its full concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.payments.settle import SettlementService
from checkout.runtime.foreground import Foreground
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app

UowFactory = Callable[[], SqlUnitOfWork]
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class GatedSender:
    """Holds every send until released; records the most sends it had at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.delivered = 0
        self.release = asyncio.Event()

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        self.delivered += 1


async def queue_for_chats(uow: UowFactory, clock: SettableClock, chats: int) -> None:
    async with uow() as unit:
        for chat in range(chats):
            await unit.outbox.add(
                channel=Channel.TELEGRAM, chat_key=str(chat), payload={"n": chat}, now=clock()
            )
        await unit.commit()


async def most_sends_at_once(uow: UowFactory, foreground: Foreground) -> tuple[int, int]:
    """Deliver ten chats' messages; (the most sends in flight at once, how many delivered)."""
    clock, sender = SettableClock(), GatedSender()
    await queue_for_chats(uow, clock, 10)
    outbox = OutboxSender(
        uow,
        {Channel.TELEGRAM: sender},
        clock=clock,
        policy=DeliveryPolicy(concurrency=20),
        foreground=foreground,
    )
    delivering = asyncio.create_task(outbox.run_once())
    for _ in range(50):  # let every send that may start, start
        await asyncio.sleep(0.01)
    most = sender.most
    sender.release.set()
    delivered = await delivering
    return most, delivered


@ON_SQLITE
async def test_an_idle_server_lets_the_outbox_send_at_full_concurrency(uow: UowFactory) -> None:
    assert await most_sends_at_once(uow, Foreground(busy_slots=2)) == (10, 10)


@ON_SQLITE
async def test_a_busy_server_holds_the_outbox_to_its_slots_and_everything_still_goes(
    uow: UowFactory,
) -> None:
    foreground = Foreground(busy_slots=2)
    foreground.enter()  # a request in progress all along
    assert await most_sends_at_once(uow, foreground) == (2, 10)


def test_background_work_always_has_a_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Foreground(busy_slots=0)


@ON_SQLITE
async def test_the_web_server_counts_its_requests_in_progress(uow: UowFactory) -> None:
    foreground = Foreground()
    seen: list[bool] = []
    app = create_app(
        WebhookConfig(
            SettlementService(uow, clock=lambda: datetime.now(UTC)),
            "callback-secret",
            foreground=foreground,
        )
    )

    async def probe(_request: web.Request) -> web.Response:
        seen.append(foreground.busy)
        return web.Response(text="ok")

    app.router.add_get("/probe", probe)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/probe"):
            pass
    finally:
        await runner.cleanup()
    assert seen == [True]
    assert not foreground.busy
