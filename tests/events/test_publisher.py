"""Events are queued with their cause: one outbox row per receiver, never twice per cause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from checkout.domain.records import Channel
from checkout.platform.events import EventPublisher, EventType, receiver_key
from storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
URLS = ["https://a.example/hook", "https://b.example/hook?token=" + "x" * 200]
UowFactory = Callable[[], SqlUnitOfWork]


async def queued(uow: UowFactory) -> list[tuple[str, dict[str, object]]]:
    async with uow() as unit:
        messages = await unit.outbox.claim_due(now=NOW, limit=100, lease_seconds=1)
    return [
        (message.chat_key, message.payload)
        for message in messages
        if message.channel is Channel.EVENTS
    ]


async def test_one_event_is_one_row_per_receiver_with_the_same_id(uow: UowFactory) -> None:
    publisher = EventPublisher([*URLS, URLS[0]], clock=lambda: NOW)
    async with uow() as unit:
        event_id = await publisher.publish(
            unit,
            EventType.PLAN_STATE_CHANGED,
            {"plan": {"id": 1, "state": "active"}},
            cause="plan:1:active",
        )
        await unit.commit()
    rows = await queued(uow)
    assert sorted(key for key, _ in rows) == sorted(receiver_key(url) for url in URLS)
    assert all(len(key) == 16 for key, _ in rows)
    assert {payload["url"] for _, payload in rows} == set(URLS)
    events = [payload["event"] for _, payload in rows]
    assert all(event == events[0] for event in events)
    assert events[0] == {
        "id": event_id,
        "type": "plan.state_changed",
        "created_at": "2026-11-28T09:00:00+00:00",
        "data": {"plan": {"id": 1, "state": "active"}},
    }


async def test_the_same_cause_is_queued_once(uow: UowFactory) -> None:
    publisher = EventPublisher(URLS[:1], clock=lambda: NOW)
    for _ in range(2):
        async with uow() as unit:
            await publisher.publish(unit, EventType.ORDER_PAID, {}, cause="order:A:paid:1")
            await unit.commit()
    assert len(await queued(uow)) == 1


async def test_without_receivers_nothing_is_queued(uow: UowFactory) -> None:
    async with uow() as unit:
        assert (
            await EventPublisher([], clock=lambda: NOW).publish(
                unit, EventType.ORDER_PAID, {}, cause="x"
            )
            is None
        )
        await unit.commit()
    assert await queued(uow) == []
