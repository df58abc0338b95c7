"""The outbox sender's thread (``OUTBOX_IN_THREAD``): what it is built from, on its own loop.

:func:`threaded_delivery` is called on the server's loop; the function it hands
:class:`lipa.delivery_thread.ThreadedDelivery` runs in the thread and builds there a database
engine of its own (on SQLite sharing the server engine's write turns, so the two never meet
SQLite's busy handler), units of work, the senders that can live in the thread (SMS, event
webhooks, the staff log, each on HTTP clients of its own) and, on PostgreSQL, the listener for
other processes' commits. Every other sender (Telegram's, whose bot, pacer and chat turns the
replies share; the web page's wake-ups; WhatsApp's; senders given by tests or the demo) is
reached on the server's loop through :class:`lipa.delivery_thread.OnLoop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Collection, Mapping

from checkout.domain.records import Channel
from checkout.domain.time import Clock
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.outbox.handoff import SenderSlot
from checkout.outbox.ports import MessageSender
from lipa.build.senders import event_sender, sms_sender
from lipa.channels import StaffLogSender
from lipa.delivery_thread import DeliveryParts, OnLoop, ThreadedDelivery
from lipa.settings import Settings
from storage.database import SqliteWriters, create_engine, is_sqlite, session_factory
from storage.notify import listen_forever
from storage.unit_of_work import SqlUnits


def threaded_delivery(
    settings: Settings,
    senders: Mapping[Channel, MessageSender],
    *,
    given: Collection[Channel],
    clock: Clock,
    policy: DeliveryPolicy | None,
    text_mark: str,
    origin: str,
    sqlite_writers: SqliteWriters | None,
) -> ThreadedDelivery:
    """The outbox sender in a thread, delivering what ``senders`` (the server's) deliver.

    ``given``: the channels whose senders were handed in rather than built from the settings
    (they stay on the server's loop). ``origin``: the server units' PostgreSQL notifications,
    which the thread's listener skips (those commits hand their messages over in-process).
    """
    server = asyncio.get_running_loop()

    async def build(stack: contextlib.AsyncExitStack) -> DeliveryParts:
        engine = create_engine(
            settings.database_url,
            sqlite_writers=sqlite_writers,
            sqlite_driver=settings.sqlite_driver,
        )
        stack.push_async_callback(engine.dispose)
        slot = SenderSlot()
        units = SqlUnits(session_factory(engine), slot)
        own = thread_senders(settings, senders, stack, given=given, server=server, mark=text_mark)
        sender = OutboxSender(units, own, clock=clock, policy=policy, slot=slot)
        if is_sqlite(settings.database_url):
            return DeliveryParts(sender)
        listen = functools.partial(
            listen_forever, settings.database_url, sender.wake, ignore_origin=origin
        )
        return DeliveryParts(sender, (listen,))

    return ThreadedDelivery(build)


def thread_senders(
    settings: Settings,
    senders: Mapping[Channel, MessageSender],
    stack: contextlib.AsyncExitStack,
    *,
    given: Collection[Channel],
    server: asyncio.AbstractEventLoop,
    mark: str,
) -> dict[Channel, MessageSender]:
    """The thread's sender for each of the server's: built anew where the settings built it
    (its HTTP client then belongs to the thread's loop), else the server's through
    :class:`OnLoop`."""
    own: dict[Channel, MessageSender] = {}
    for channel, sender in senders.items():
        built = channel not in given
        if built and channel is Channel.USSD and settings.sms_enabled:
            own[channel] = sms_sender(settings, stack, mark=mark)
        elif built and channel is Channel.EVENTS and settings.event_webhook_urls:
            own[channel] = event_sender(settings, stack)
        elif isinstance(sender, StaffLogSender):
            own[channel] = sender  # it only writes to the log, which threads share
        else:
            own[channel] = OnLoop(sender, server)
    return own
