"""PostgreSQL LISTEN/NOTIFY wakes another process's outbox sender as soon as work is queued."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from lipa.app import utc_now
from storage.database import create_engine, session_factory
from storage.notify import listen_forever
from storage.unit_of_work import unit_of_work_factory


class Recorder:
    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.at = 0.0

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        self.at = time.perf_counter()
        self.arrived.set()


async def test_a_commit_in_one_process_wakes_the_sender_of_another(pg_database_url: str) -> None:
    queuing_engine = create_engine(pg_database_url)
    sending_engine = create_engine(pg_database_url)
    # The queuing side has no sender of its own to wake: only the notification can help.
    queuing = unit_of_work_factory(session_factory(queuing_engine))
    recorder = Recorder()
    sender = OutboxSender(
        unit_of_work_factory(session_factory(sending_engine)),
        {Channel.TELEGRAM: recorder},
        clock=utc_now,
        policy=DeliveryPolicy(idle_poll_seconds=60),
    )
    tasks = [
        asyncio.create_task(sender.run_forever()),
        asyncio.create_task(listen_forever(pg_database_url, sender.wake)),
    ]
    try:
        await asyncio.sleep(0.5)  # both are idle now, the sender for a minute
        queued_at = time.perf_counter()
        async with queuing() as unit:
            await unit.outbox.add(
                channel=Channel.TELEGRAM, chat_key="42", payload={"text": "Paid"}, now=utc_now()
            )
            await unit.commit()
        await asyncio.wait_for(recorder.arrived.wait(), timeout=5)
        assert recorder.at - queued_at < 1.0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await queuing_engine.dispose()
        await sending_engine.dispose()


async def test_a_rolled_back_unit_notifies_nobody(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url)
    woken = asyncio.Event()
    listener = asyncio.create_task(listen_forever(pg_database_url, woken.set))
    try:
        await asyncio.wait_for(woken.wait(), timeout=5)  # it wakes once on connecting
        woken.clear()
        units = unit_of_work_factory(session_factory(engine))
        async with units() as unit:
            await unit.outbox.add(channel=Channel.TELEGRAM, chat_key="1", payload={}, now=utc_now())
            await unit.rollback()
        await asyncio.sleep(0.5)
        assert not woken.is_set()
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await engine.dispose()


async def test_a_listener_skips_its_own_process_s_notifications(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url)
    ours = unit_of_work_factory(session_factory(engine))
    theirs = unit_of_work_factory(session_factory(engine))
    woken = asyncio.Event()
    listener = asyncio.create_task(
        listen_forever(pg_database_url, woken.set, ignore_origin=ours.origin)
    )
    try:
        await asyncio.wait_for(woken.wait(), timeout=5)  # it wakes once on connecting
        woken.clear()
        for units, chat in ((ours, "1"), (theirs, "2")):
            async with units() as unit:
                await unit.outbox.add(
                    channel=Channel.TELEGRAM, chat_key=chat, payload={}, now=utc_now()
                )
                await unit.commit()
            if units is ours:
                await asyncio.sleep(0.5)
                assert not woken.is_set()
        await asyncio.wait_for(woken.wait(), timeout=5)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await engine.dispose()
