"""The outbox delivered in a thread of its own (OUTBOX_IN_THREAD): started by the server's
worker, woken from the server's loop, stopped without losing or repeating a message."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy
from checkout.outbox.ports import DeliveryFailed
from lipa.app import Lipa, open_lipa
from lipa.delivery_thread import ThreadedDelivery
from lipa.settings import Settings
from lipa_testing.clocks import SettableClock
from storage.database import create_engine, session_factory
from storage.models.chats import OutboxRow
from storage.unit_of_work import SqlUnits

# Long enough that only a hand-over or a wake-up can deliver within a test.
NEVER = 3600.0


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


class Recorder:
    """A Telegram sender that records what it sends, and on which thread; ``gate`` (when
    given) holds every send until set."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.sent: list[str] = []
        self.threads: set[str] = set()
        self.started = asyncio.Event()
        self._gate = gate

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        self.threads.add(threading.current_thread().name)
        self.started.set()
        if self._gate is not None:
            await self._gate.wait()
        self.sent.append(str(payload["text"]))


def settings_for(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}")  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def lipa_with(
    tmp_path: Path, recorder: Recorder, clock: SettableClock, grace: float = 2.0
) -> AsyncIterator[Lipa]:
    policy = DeliveryPolicy(idle_poll_seconds=NEVER, stop_grace_seconds=grace)
    async with open_lipa(
        settings_for(tmp_path),
        clock=clock,
        senders={Channel.TELEGRAM: recorder},
        delivery=policy,
    ) as lipa:
        yield lipa


@contextlib.asynccontextmanager
async def delivering(lipa: Lipa) -> AsyncIterator[asyncio.Task[None]]:
    """The delivery worker running (as ``lipa serve`` runs it) until the block ends."""
    delivery = lipa.units.delivery
    assert delivery is not None
    task = asyncio.create_task(lipa.delivery.run_forever())
    await eventually(lambda: delivery.lease_until() is not None)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def queue(lipa: Lipa, text: str, clock: SettableClock, chat: str = "42") -> None:
    async with lipa.units() as unit:
        await unit.outbox.add(
            channel=Channel.TELEGRAM, chat_key=chat, payload={"text": text}, now=clock()
        )
        await unit.commit()


async def sent_times(lipa: Lipa) -> dict[str, bool]:
    async with lipa.engine.connect() as connection:
        rows = (await connection.execute(select(OutboxRow.payload, OutboxRow.sent_at))).all()
    return {str(payload["text"]): sent_at is not None for payload, sent_at in rows}


async def eventually(check: Callable[[], bool | Awaitable[bool]]) -> None:
    """Until ``check`` holds (a generous bound: no speed is asserted)."""
    async with asyncio.timeout(30):
        while True:
            held = check()
            if held if isinstance(held, bool) else await held:
                return
            await asyncio.sleep(0.01)  # the other thread's work has no event of this loop's


async def until_sent(recorder: Recorder, count: int) -> None:
    await eventually(lambda: len(recorder.sent) >= count)


async def until_marked(lipa: Lipa, text: str) -> None:
    """Until the thread's engine has marked the message sent (as seen by the server's)."""

    async def marked() -> bool:
        return (await sent_times(lipa)).get(text, False)

    await eventually(marked)


async def test_the_thread_starts_and_takes_the_commits_of_the_server_s_loop(
    tmp_path: Path,
) -> None:
    clock = SettableClock()
    recorder = Recorder()
    async with lipa_with(tmp_path, recorder, clock) as lipa:
        assert isinstance(lipa.delivery, ThreadedDelivery)
        delivery = lipa.units.delivery
        assert delivery is not None
        # Not started: nothing is claimed for it.
        assert delivery.lease_until() is None
        async with delivering(lipa):
            assert lipa.delivery.sender is not None
            await queue(lipa, "paid", clock)
            # Handed over across the threads (an idle poll of an hour would not have sent it).
            await until_sent(recorder, 1)
            await until_marked(lipa, "paid")
        # Telegram's sender ran on the server's loop (its bot and pacer live there).
        assert recorder.threads == {threading.current_thread().name}
        assert recorder.sent == ["paid"]
        assert delivery.lease_until() is None  # stopped: nothing claimed for it any more


async def test_another_process_s_notify_wakes_the_thread_on_postgresql(
    pg_database_url: str,
) -> None:
    clock = SettableClock()
    recorder = Recorder()
    settings = Settings(_env_file=None, database_url=pg_database_url)  # type: ignore[call-arg]
    async with (
        open_lipa(
            settings,
            clock=clock,
            senders={Channel.TELEGRAM: recorder},
            delivery=DeliveryPolicy(idle_poll_seconds=NEVER),
        ) as lipa,
        delivering(lipa),
    ):
        # The thread listens (its first pass after connecting finds nothing yet): a commit
        # of another process, with no sender of its own, tells it by NOTIFY.
        await asyncio.sleep(0.5)
        await add_from_another_process(pg_database_url, "9", "pg", clock)
        await until_sent(recorder, 1)
        await until_marked(lipa, "pg")
        assert recorder.sent == ["pg"]


async def add_from_another_process(
    database_url: str, chat_key: str, text: str, clock: SettableClock
) -> None:
    """Queue a message as another process would: its own engine, no hand-over to a sender."""
    engine = create_engine(database_url)
    try:
        async with SqlUnits(session_factory(engine))() as unit:
            await unit.outbox.add(
                channel=Channel.TELEGRAM, chat_key=chat_key, payload={"text": text}, now=clock()
            )
            await unit.commit()
    finally:
        await engine.dispose()


async def test_a_wake_up_from_the_server_s_loop_reaches_the_thread(tmp_path: Path) -> None:
    clock = SettableClock()
    recorder = Recorder()
    async with lipa_with(tmp_path, recorder, clock) as lipa, delivering(lipa):
        # Another process's commit: written without a hand-over to this process's sender.
        await add_from_another_process(lipa.settings.database_url, "7", "hi", clock)
        lipa.delivery.wake()
        await until_sent(recorder, 1)
        assert recorder.sent == ["hi"]


async def test_stopping_lets_a_send_in_flight_finish_and_leaves_the_rest_for_the_next_start(
    tmp_path: Path,
) -> None:
    clock = SettableClock()
    gate = asyncio.Event()
    recorder = Recorder(gate)
    async with lipa_with(tmp_path, recorder, clock, grace=30.0) as lipa:
        async with delivering(lipa) as task:
            await queue(lipa, "first", clock)
            async with asyncio.timeout(30):
                await recorder.started.wait()
            task.cancel()  # stopping while "first" is being sent...
            await asyncio.sleep(0.05)
            gate.set()  # ...which Telegram then takes
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Sent and marked sent before the thread ended: not to be sent again.
        assert recorder.sent == ["first"]
        assert await sent_times(lipa) == {"first": True}
        # Queued while nothing delivers: left unclaimed, delivered by the next start.
        await queue(lipa, "second", clock)
        async with delivering(lipa):
            lipa.delivery.wake()
            await until_sent(recorder, 2)
            await until_marked(lipa, "second")
        assert recorder.sent == ["first", "second"]
        assert await sent_times(lipa) == {"first": True, "second": True}


async def test_a_send_cut_off_by_the_stop_is_retried_after_its_lease_not_lost(
    tmp_path: Path,
) -> None:
    clock = SettableClock()
    gate = asyncio.Event()
    recorder = Recorder(gate)
    async with lipa_with(tmp_path, recorder, clock, grace=0.0) as lipa:
        async with delivering(lipa):
            await queue(lipa, "slow", clock)
            async with asyncio.timeout(30):
                await recorder.started.wait()
        # Cut off with no grace: not sent, still in the outbox.
        assert recorder.sent == []
        assert await sent_times(lipa) == {"slow": False}
        gate.set()
        clock.advance(minutes=2)  # past its lease
        async with delivering(lipa):
            lipa.delivery.wake()
            await until_sent(recorder, 1)
            await until_marked(lipa, "slow")
        assert recorder.sent == ["slow"]
        assert await sent_times(lipa) == {"slow": True}


class Refusing:
    """A Telegram sender whose chat is gone (the customer blocked the bot)."""

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        raise DeliveryFailed("forbidden: bot was blocked by the user", retry_after=None)


async def test_a_refusal_on_the_server_s_loop_reaches_the_thread_s_sender(tmp_path: Path) -> None:
    clock = SettableClock()
    policy = DeliveryPolicy(idle_poll_seconds=NEVER)
    async with open_lipa(
        settings_for(tmp_path),
        clock=clock,
        senders={Channel.TELEGRAM: Refusing()},
        delivery=policy,
    ) as lipa:
        async with delivering(lipa):
            await queue(lipa, "blocked", clock)

            async def given_up() -> bool:
                async with lipa.engine.connect() as connection:
                    failed = await connection.scalar(select(OutboxRow.failed_at))
                return failed is not None

            await eventually(given_up)
        assert await sent_times(lipa) == {"blocked": False}
