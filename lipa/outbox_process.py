"""The outbox delivered by a process of its own (``OUTBOX_IN_PROCESS``): the child's side.

``lipa serve`` starts ``python -m lipa.outbox_process`` (see :mod:`lipa.delivery_process`)
and writes on its standard input a :class:`ProcessBrief` (the settings, the delivery
policy, the text mark), then one byte each time a commit queued messages: a wake-up. The
child builds its own database engine, units of work and senders (its own python-telegram-bot
bot, with a pacer of its own for its share of Telegram's rate; SMS; event webhooks; the staff
log; the web checkout's wake-ups and Telegram's answers other than 200, told to the server on
standard output for its pages and its metrics) and runs an
:class:`checkout.outbox.delivery.OutboxSender` until its standard input ends (the server
stopping, or gone): the sends in flight then have ``DeliveryPolicy.stop_grace_seconds`` to
finish and be marked sent; the rest keep their lease.

The child lowers its own CPU priority first (``OUTBOX_PROCESS_NICE``; unset, 10 on PostgreSQL
and 0 on SQLite: :func:`priority_increment`): when the server and the child both want a core,
the server's acknowledgements run first, and the deliveries catch up whenever the server
waits.

Nothing is handed over: the child claims what it sends, with a lease, as any second process
would, so no message is sent twice and none is lost if it dies. On PostgreSQL it also listens
for other processes' ``NOTIFY`` (the server's own commits wake it through the pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.notifier import TelegramSender
from checkout.domain.records import Channel
from checkout.outbox.delivery import OutboxSender
from checkout.outbox.handoff import SenderSlot
from checkout.outbox.ports import MessageSender
from lipa.app import utc_now
from lipa.build.senders import channel_senders, telegram_application
from lipa.channels import channels_on
from lipa.cli import configure_logging
from lipa.delivery_process import ProcessBrief, read_brief, tell_server
from lipa.logs import secret_values
from lipa.settings import Settings
from storage.database import create_engine, is_sqlite, session_factory
from storage.notify import listen_forever
from storage.unit_of_work import SqlUnits

# Bytes read from the pipe at a time: each is one wake-up, any number of them one look.
_WAKES_AT_ONCE = 4096


async def outbox_senders(
    brief: ProcessBrief, stack: contextlib.AsyncExitStack
) -> dict[Channel, MessageSender]:
    """The senders of every channel the settings turn on, built in this process."""
    settings = brief.settings
    given: dict[Channel, MessageSender] = {}
    if channels_on(settings).telegram:
        application = telegram_application(
            settings,
            polling=False,
            overall_max_rate=brief.telegram_rate,
            on_status=_tell_status,
            text_mark=brief.text_mark,
        )
        await application.initialize()
        stack.push_async_callback(application.shutdown)
        # Turns of its own: replies are sent by the server (see lipa.delivery_process).
        given[Channel.TELEGRAM] = TelegramSender(application.bot)
    if settings.web_checkout_enabled:
        # The web checkout's pages wait in the server: it wakes them when told.
        given[Channel.WEB] = ServerNotices()
    built = channel_senders(settings, stack, given=given, clock=utc_now, text_mark=brief.text_mark)
    return dict(built.senders)


def _tell_status(status: int) -> None:
    """The server's metrics count Telegram's 429s: tell it of every answer that was not 200."""
    if status != 200:
        tell_server("telegram", status)


class ServerNotices:
    """The web channel's sender: the outcome is on the page; tell the server to wake it."""

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Tell the server of the order ``chat_key``."""
        tell_server("web", chat_key)


async def deliver(brief: ProcessBrief, wakes: asyncio.StreamReader) -> None:
    """Deliver the outbox until ``wakes`` ends; each byte read on it is a wake-up."""
    settings = brief.settings
    async with contextlib.AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        slot = SenderSlot()
        units = SqlUnits(session_factory(engine), slot)
        senders = await outbox_senders(brief, stack)
        sender = OutboxSender(units, senders, clock=utc_now, policy=brief.policy, slot=slot)
        workers: list[Callable[[], Awaitable[None]]] = [sender.run_forever]
        if not is_sqlite(settings.database_url):
            workers.append(
                functools.partial(
                    listen_forever,
                    settings.database_url,
                    sender.wake,
                    ignore_origin=brief.server_origin,
                )
            )
        await _until_ended(wakes, sender.wake, workers)


async def _until_ended(
    wakes: asyncio.StreamReader,
    wake: Callable[[], None],
    workers: list[Callable[[], Awaitable[None]]],
) -> None:
    """Run ``workers`` until the pipe ends (then cancel them) or one of them fails (raised)."""
    reading = asyncio.ensure_future(_read_wakes(wakes, wake))
    running = [asyncio.ensure_future(worker()) for worker in workers]
    loop = asyncio.get_running_loop()
    # As lipa.commands.wait_for_signal: a loop without signal handlers (not on Linux) skips it.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, reading.cancel)
    try:
        await asyncio.wait([reading, *running], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, *running):
            task.cancel()
        # The sender's stop lets the sends in flight finish (stop_grace_seconds).
        ended = await asyncio.gather(*running, return_exceptions=True)
    for outcome in ended:
        if isinstance(outcome, Exception):
            raise outcome


async def _read_wakes(wakes: asyncio.StreamReader, wake: Callable[[], None]) -> None:
    while await wakes.read(_WAKES_AT_ONCE):
        wake()


# OUTBOX_PROCESS_NICE unset, on PostgreSQL.
DEFAULT_NICE = 10


def priority_increment(settings: Settings) -> int:
    """How much lower this process runs than the server: ``OUTBOX_PROCESS_NICE``, or unset
    10 on PostgreSQL and 0 on SQLite. On benchmark 5, 10 made the acknowledgements faster on
    PostgreSQL in every pair measured; on SQLite it did not, and the tail was often longer:
    the two processes take turns at the file's one write lock, and a child descheduled while
    holding it holds up the server's next settling batch."""
    if settings.outbox_process_nice is not None:
        return settings.outbox_process_nice
    return 0 if is_sqlite(settings.database_url) else DEFAULT_NICE


def lower_priority(increment: int) -> int:
    """Add ``increment`` to this process's nice value (``OUTBOX_PROCESS_NICE``); the new one.

    The child starts with the server's nice value: raising its own lets the kernel give the
    server's acknowledgements the CPU first when both want it, and delivery runs whenever the
    server waits. Lowering one's own priority needs no privilege; the kernel caps it at 19.
    Called before any other thread starts (Linux keeps a nice value per thread; threads
    started later, such as aiosqlite's, inherit it).
    """
    return os.nice(increment) if increment else os.getpriority(os.PRIO_PROCESS, 0)


async def _main(brief: ProcessBrief) -> None:
    settings = brief.settings
    configure_logging(settings.log_level, fmt=settings.log_format, secrets=secret_values(settings))
    loop = asyncio.get_running_loop()
    wakes = asyncio.StreamReader()
    pipe = os.fdopen(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(wakes), pipe)
    await deliver(brief, wakes)


def main() -> int:
    """Deliver the outbox as the server's child, at the brief's lower priority; 0 once told
    to stop."""
    # Ctrl-C reaches the whole process group: the server stops this process itself, after
    # its own requests, by closing the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    brief = read_brief(sys.stdin.fileno())
    lower_priority(priority_increment(brief.settings))
    asyncio.run(_main(brief))
    return 0


if __name__ == "__main__":  # pragma: no cover - started by lipa.delivery_process
    raise SystemExit(main())
