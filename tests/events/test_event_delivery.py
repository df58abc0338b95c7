"""Settling payments sends signed events to every receiver, once each, through failures.

Real sockets: the outbox sender POSTs with httpx to independent receivers (see receiver.py),
one of which is down for its first requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.payments.gateway import PaymentResult
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService
from checkout.platform.events import EventPublisher, EventType
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnitOfWork
from tests.events.receiver import Receiver
from webhook.events import EventWebhookSender

SECRET = "event-secret-for-tests-0123"
UowFactory = Callable[[], SqlUnitOfWork]


@dataclass
class Chats:
    """Stands in for Telegram: customers' messages are not what these tests look at."""

    sent: list[Any] = field(default_factory=list)

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        self.sent.append(payload)


@dataclass
class World:
    uow: UowFactory
    clock: SettableClock
    settlement: SettlementService
    outbox: OutboxSender

    async def pay(self, reference: str, due: int, amount: int, request: str) -> None:
        async with self.uow() as unit:
            if await unit.orders.get(reference) is None:
                await unit.orders.create(reference, due, known=True)
            payment = await unit.payments.create_pending(
                NewPayment(reference, None, Channel.TELEGRAM, "5001", amount, "254712345678", "en"),
                now=self.clock(),
            )
            await unit.payments.mark_requested(
                payment.id, merchant_request_id="m", checkout_request_id=request
            )
            await unit.commit()

    async def callback(self, request: str, code: int, amount: int, receipt: str | None) -> None:
        await self.settlement.settle(
            PaymentResult(request, code, "done", amount=amount, receipt_number=receipt),
            source="callback",
        )

    async def deliver_everything(self) -> None:
        """Run the sender, letting time pass over every backoff, until nothing is left."""
        for _ in range(30):
            await self.outbox.run_once()
            async with self.uow() as unit:
                if (await unit.reports.outbox_backlog()).total == 0:
                    return
            self.clock.now += timedelta(minutes=15)
        pytest.fail("the outbox never emptied")


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[Receiver, Receiver]]:
    healthy = Receiver(SECRET.encode())
    flaky = Receiver(SECRET.encode(), fail_first=5)
    await healthy.start()
    await flaky.start()
    yield healthy, flaky
    await healthy.stop()
    await flaky.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


def build(uow: UowFactory, http: httpx.AsyncClient, urls: list[str], secret: str = SECRET) -> World:
    clock = SettableClock()
    publisher = EventPublisher(urls, clock=clock)
    settlement = SettlementService(uow, clock=clock, listeners=[publisher])
    outbox = OutboxSender(
        uow,
        {Channel.TELEGRAM: Chats(), Channel.EVENTS: EventWebhookSender(http, secret, urls)},
        clock=clock,
        policy=DeliveryPolicy(first_backoff_seconds=1.0, max_backoff_seconds=60.0),
    )
    return World(uow, clock, settlement, outbox)


async def test_every_receiver_gets_every_event_once_despite_failures(
    uow: UowFactory, http: httpx.AsyncClient, receivers: tuple[Receiver, Receiver]
) -> None:
    healthy, flaky = receivers
    assert healthy.server is not None
    assert flaky.server is not None
    urls = [str(healthy.server.make_url("/hooks/lipa")), str(flaky.server.make_url("/hooks/lipa"))]
    world = build(uow, http, urls)
    await world.pay("WW-1", 2000, 500, "ws_1")
    await world.pay("WW-1", 2000, 1500, "ws_2")
    await world.pay("WW-2", 300, 300, "ws_3")
    await world.callback("ws_1", 0, 500, "RCPT00001A")
    await world.callback("ws_2", 0, 1500, "RCPT00002B")
    await world.callback("ws_3", 1032, 300, None)
    await world.callback("ws_2", 0, 1500, "RCPT00002B")  # Safaricom's duplicate: no new event

    await world.deliver_everything()

    assert len(healthy.accepted) == 4
    assert healthy.accepted.keys() == flaky.accepted.keys()  # one id per event, on every URL
    assert (healthy.redeliveries, flaky.redeliveries) == (0, 0)
    assert [status for _, status in healthy.attempts] == [200] * 4
    assert [status for _, status in flaky.attempts].count(500) == 5
    settled = healthy.events_of(EventType.PAYMENT_SETTLED.value)
    assert sorted(event["data"]["payment"]["status"] for event in settled) == [
        "cancelled",
        "paid",
        "paid",
    ]
    receipts = {event["data"]["payment"]["receipt_number"] for event in settled}
    assert receipts == {"RCPT00001A", "RCPT00002B", None}
    # Whole: events go to the business's own platform, like the orders API (issue 22).
    assert {event["data"]["payment"]["phone"] for event in settled} == {"254712345678"}
    (paid,) = healthy.events_of(EventType.ORDER_PAID.value)
    assert paid["data"]["order"]["reference"] == "WW-1"
    assert (paid["data"]["order"]["status"], paid["data"]["order"]["amount_paid"]) == ("paid", 2000)
    assert paid["data"]["payment"]["receipt_number"] == "RCPT00002B"


async def test_events_reach_each_receiver_in_the_order_they_happened(
    uow: UowFactory, http: httpx.AsyncClient, receivers: tuple[Receiver, Receiver]
) -> None:
    _, flaky = receivers
    assert flaky.server is not None
    world = build(uow, http, [str(flaky.server.make_url("/hooks/lipa"))])
    for n in range(3):
        await world.pay(f"O-{n}", 100, 100, f"ws_{n}")
        await world.callback(f"ws_{n}", 0, 100, f"R0000000{n}X")
    await world.deliver_everything()
    accepted = [event_id for event_id, status in flaky.attempts if status == 200]
    orders = [
        flaky.accepted[event_id]["data"]["payment"]["order_reference"] for event_id in accepted
    ]
    assert orders == ["O-0", "O-0", "O-1", "O-1", "O-2", "O-2"]  # settled, then paid, per order


async def test_a_receiver_that_processed_an_event_but_failed_to_answer_sees_it_again(
    uow: UowFactory, http: httpx.AsyncClient
) -> None:
    """The event id lets the platform drop the redelivery: it is processed once."""
    forgetful = Receiver(SECRET.encode(), fail_after_processing=1)
    url = await forgetful.start()
    try:
        world = build(uow, http, [url])
        await world.pay("WW-5", 700, 700, "ws_5")
        await world.callback("ws_5", 1, 700, None)
        await world.deliver_everything()
    finally:
        await forgetful.stop()
    assert len(forgetful.accepted) == 1
    assert forgetful.redeliveries == 1
    assert [status for _, status in forgetful.attempts] == [500, 200]


async def test_a_receiver_with_another_secret_refuses_every_event(
    uow: UowFactory, http: httpx.AsyncClient
) -> None:
    strict = Receiver(b"the-platform-has-another-secret")
    url = await strict.start()
    try:
        world = build(uow, http, [url])
        await world.pay("WW-6", 700, 700, "ws_6")
        await world.callback("ws_6", 0, 700, "RCPT00006F")
        await world.outbox.run_once()
    finally:
        await strict.stop()
    assert strict.accepted == {}
    assert [status for _, status in strict.attempts] == [401]
