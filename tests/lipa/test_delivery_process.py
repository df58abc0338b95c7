"""The outbox delivered by a process of its own (OUTBOX_IN_PROCESS): started by the server's
worker, woken by the server's commits, restarted when it dies, stopped without losing or
repeating a message. The child is the real ``python -m lipa.outbox_process``, sending to the
fake Bot API and the fake SMS API over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy
from lipa.app import Lipa, open_lipa, utc_now
from lipa.delivery_process import CHILD_MODULE, ProcessDelivery, telegram_shares
from lipa.demo import free_port
from lipa.outbox_process import priority_increment
from lipa.settings import Settings
from lipa_testing.sms_api import DEFAULT_API_KEY, DEFAULT_USERNAME, FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine, session_factory
from storage.unit_of_work import SqlUnits
from tests.lipa.commands import start_lipa
from tests.lipa.test_delivery_thread import eventually, sent_times
from tests.ops.test_metrics import samples, value

# Long enough that only a wake-up (or the child's first look) can deliver within a test.
NEVER = 3600.0
CHAT = 42
PHONE = "254712345678"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def sms() -> AsyncIterator[FakeSmsApi]:
    async with FakeSmsApi() as fake:
        yield fake


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'l.db'}"


@contextlib.asynccontextmanager
async def lipa_for(
    url: str,
    telegram: FakeTelegram,
    sms: FakeSmsApi,
    *,
    grace: float = 2.0,
    **settings_given: object,
) -> AsyncIterator[Lipa]:
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_bot_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        at_api_key=DEFAULT_API_KEY,
        at_username=DEFAULT_USERNAME,
        at_api_base_url=sms.base_url,
        outbox_in_process=True,
        **settings_given,
    )
    policy = DeliveryPolicy(idle_poll_seconds=NEVER, stop_grace_seconds=grace)
    async with open_lipa(settings, delivery=policy, outbox_process=True) as lipa:
        yield lipa


@contextlib.asynccontextmanager
async def delivering(lipa: Lipa) -> AsyncIterator[asyncio.Task[None]]:
    """The delivery worker running (as ``lipa serve`` runs it) until the block ends."""
    assert isinstance(lipa.delivery, ProcessDelivery)
    task = asyncio.create_task(lipa.delivery.run_forever())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def queue(lipa: Lipa, text: str, *, channel: Channel = Channel.TELEGRAM) -> None:
    chat = PHONE if channel is Channel.USSD else str(CHAT)
    async with lipa.units() as unit:
        await unit.outbox.add(channel=channel, chat_key=chat, payload={"text": text}, now=utc_now())
        await unit.commit()


async def until_marked(lipa: Lipa, text: str) -> None:
    async def marked() -> bool:
        return (await sent_times(lipa)).get(text, False)

    await eventually(marked)


def texts(telegram: FakeTelegram) -> list[str]:
    return telegram.texts_to(CHAT)


async def delivered_then_woken(lipa: Lipa, telegram: FakeTelegram) -> None:
    """A first message, delivered (the child runs); a second, which only a wake-up sends."""
    await queue(lipa, "first")
    await eventually(lambda: texts(telegram) == ["first"])
    await until_marked(lipa, "first")
    await queue(lipa, "second")
    await eventually(lambda: texts(telegram) == ["first", "second"])
    await until_marked(lipa, "second")


async def test_the_process_starts_delivers_and_is_woken_by_the_server_s_commits(
    database_url: str, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    url = database_url
    async with lipa_for(url, telegram, sms) as lipa:
        delivery = lipa.units.delivery
        assert delivery is not None
        assert delivery.lease_until() is None  # nothing is claimed for the child
        async with delivering(lipa):
            await eventually(
                lambda: isinstance(lipa.delivery, ProcessDelivery) and lipa.delivery.pid is not None
            )
            assert isinstance(lipa.delivery, ProcessDelivery)
            assert lipa.delivery.pid != os.getpid()
            await delivered_then_woken(lipa, telegram)
            await queue(lipa, "by sms", channel=Channel.USSD)
            await sms.wait_for(f"+{PHONE}", "by sms", timeout=60)
            await until_marked(lipa, "by sms")
    assert texts(telegram) == ["first", "second"]
    assert [m.message for m in sms.messages] == ["by sms"]


async def test_another_process_s_notify_wakes_the_child_on_postgresql(
    pg_database_url: str, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    async with lipa_for(pg_database_url, telegram, sms) as lipa, delivering(lipa):
        await queue(lipa, "first")
        await eventually(lambda: texts(telegram) == ["first"])
        # Another process's commit: no pipe to the child, only its NOTIFY.
        engine = create_engine(pg_database_url)
        try:
            async with SqlUnits(session_factory(engine))() as unit:
                await unit.outbox.add(
                    channel=Channel.TELEGRAM,
                    chat_key=str(CHAT),
                    payload={"text": "pg"},
                    now=utc_now(),
                )
                await unit.commit()
        finally:
            await engine.dispose()
        await eventually(lambda: texts(telegram) == ["first", "pg"])
        await until_marked(lipa, "pg")


async def test_a_child_that_dies_is_started_again_and_its_messages_are_not_lost(
    tmp_path: Path, telegram: FakeTelegram, sms: FakeSmsApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with lipa_for(sqlite_url(tmp_path), telegram, sms) as lipa, delivering(lipa):
        assert isinstance(lipa.delivery, ProcessDelivery)
        delivery = lipa.delivery
        await queue(lipa, "first")
        await eventually(lambda: texts(telegram) == ["first"])
        await until_marked(lipa, "first")
        first = delivery.pid
        assert first is not None
        with caplog.at_level(logging.WARNING, logger="lipa.delivery_process"):
            os.kill(first, signal.SIGKILL)
            await eventually(lambda: delivery.pid not in (None, first))
        assert "delivery process ended (exit code -9)" in caplog.text
        await queue(lipa, "after")
        await eventually(lambda: texts(telegram) == ["first", "after"])
        await until_marked(lipa, "after")


async def test_stopping_lets_the_send_in_flight_finish_and_marks_it_sent(
    tmp_path: Path, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    async with lipa_for(sqlite_url(tmp_path), telegram, sms, grace=30.0) as lipa:
        gate = asyncio.Event()
        sms.answer_after = gate
        async with delivering(lipa) as task:
            await queue(lipa, "slow", channel=Channel.USSD)
            await eventually(lambda: sms.requests == 1)
            task.cancel()  # stopping while "slow" is being sent...
            await asyncio.sleep(0.2)
            gate.set()  # ...which the gateway then takes
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Sent and marked sent before the child ended: not to be sent again.
        assert [m.message for m in sms.messages] == ["slow"]
        assert await sent_times(lipa) == {"slow": True}
        # Queued while nothing delivers: delivered by the next child.
        await queue(lipa, "next", channel=Channel.USSD)
        async with delivering(lipa):
            await until_marked(lipa, "next")
        assert [m.message for m in sms.messages] == ["slow", "next"]


def nice_values(pid: int) -> set[int]:
    """The nice values of every thread of process ``pid`` (Linux keeps one per thread)."""
    return {
        int((task / "stat").read_text().rsplit(")", 1)[1].split()[16])
        for task in Path(f"/proc/{pid}/task").iterdir()
    }


@pytest.mark.parametrize(
    ("setting", "increment"),
    [({"outbox_process_nice": 10}, 10), ({"outbox_process_nice": 0}, 0), ({}, 0)],
)
async def test_the_child_delivers_at_a_lower_cpu_priority_than_the_server(
    tmp_path: Path,
    telegram: FakeTelegram,
    sms: FakeSmsApi,
    setting: dict[str, int],
    increment: int,
) -> None:
    await child_runs_lower_by(increment, sqlite_url(tmp_path), telegram, sms, **setting)


async def test_unset_the_child_runs_ten_lower_on_postgresql(
    pg_database_url: str, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    await child_runs_lower_by(10, pg_database_url, telegram, sms)


async def child_runs_lower_by(
    increment: int, url: str, telegram: FakeTelegram, sms: FakeSmsApi, **setting: int
) -> None:
    server = os.getpriority(os.PRIO_PROCESS, 0)
    async with lipa_for(url, telegram, sms, **setting) as lipa:
        async with delivering(lipa):
            await queue(lipa, "first")
            await eventually(lambda: texts(telegram) == ["first"])
            await until_marked(lipa, "first")
            assert isinstance(lipa.delivery, ProcessDelivery)
            child = lipa.delivery.pid
            assert child is not None
            # Every thread, the database driver's too, started after the child lowered it.
            assert nice_values(child) == {min(19, server + increment)}
        assert os.getpriority(os.PRIO_PROCESS, 0) == server  # the server's own is untouched


def test_unset_the_child_runs_lower_on_postgresql_and_level_on_sqlite() -> None:
    def increment(url: str, **given: int) -> int:
        return priority_increment(Settings(_env_file=None, database_url=url, **given))

    assert increment("postgresql+asyncpg://lipa@db/lipa") == 10
    assert increment("sqlite+aiosqlite:///./lipa.db") == 0
    assert increment("postgresql+asyncpg://lipa@db/lipa", outbox_process_nice=3) == 3
    assert increment("sqlite+aiosqlite:///./lipa.db", outbox_process_nice=10) == 10


def test_the_outbox_and_the_replies_share_telegram_s_rate_without_exceeding_it() -> None:
    assert telegram_shares(30) == (10, 20)
    for rate in range(2, 1001):
        replies, outbox = telegram_shares(rate)
        assert replies >= 1
        assert outbox >= 1
        assert replies + outbox == rate


async def test_a_web_notice_the_child_delivers_wakes_the_page_waiting_in_the_server(
    tmp_path: Path, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    async with lipa_for(sqlite_url(tmp_path), telegram, sms) as lipa, delivering(lipa):
        watch = lipa.web_watch
        assert watch is not None
        await queue(lipa, "first")
        await eventually(lambda: texts(telegram) == ["first"])
        page = asyncio.create_task(watch.wait("WS-1", NEVER))
        await asyncio.sleep(0.1)  # the page waits
        async with lipa.units() as unit:
            await unit.outbox.add(
                channel=Channel.WEB, chat_key="WS-1", payload={"text": "paid"}, now=utc_now()
            )
            await unit.commit()
        async with asyncio.timeout(60):  # woken, not after its hour
            await page
        await until_marked(lipa, "paid")


def delivering_child(pid: int) -> int | None:
    """The outbox's delivery process started by ``pid``, if there is one."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if parent == pid and CHILD_MODULE in command:
                return int(entry.name)
    return None


def running(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


async def test_lipa_serve_starts_the_process_and_stops_it_when_stopped(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    process = await start_lipa(
        "serve",
        cwd=tmp_path,
        PORT=str(free_port()),
        MPESA_ENVIRONMENT="simulator",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=sqlite_url(tmp_path),
        OUTBOX_IN_PROCESS="true",
    )
    child = None
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while b"Lipa is serving" not in await process.stdout.readline():
                pass
        await eventually(lambda: delivering_child(process.pid) is not None)
        child = delivering_child(process.pid)
        # The replies are still the server's own.
        await telegram.user_sends_command(CHAT, "start")
        await telegram.wait_for_message_to(CHAT, timeout=30)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    assert child is not None
    assert not running(child)  # stopped with the server, not left behind
    assert "outbox delivered by process" in stderr.decode()
    assert "did not stop" not in stderr.decode()


async def test_telegram_s_flood_control_met_by_the_child_is_counted_in_the_server_s_metrics(
    tmp_path: Path, telegram: FakeTelegram, sms: FakeSmsApi
) -> None:
    async with lipa_for(sqlite_url(tmp_path), telegram, sms) as lipa, delivering(lipa):
        telegram.flood_next(1, retry_after=1, methods=["sendMessage"])
        await queue(lipa, "first")
        await eventually(lambda: texts(telegram) == ["first"])
        await until_marked(lipa, "first")
        throttled = value(
            samples(lipa.metrics.exposition().decode()), "lipa_telegram_throttled_total"
        )
        assert throttled == 1
