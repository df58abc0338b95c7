"""Waking other processes when work is queued: PostgreSQL LISTEN/NOTIFY.

A commit that queues outbox messages also sends ``NOTIFY lipa_outbox`` (delivered only if the
transaction commits). Every process listens on a connection of its own and wakes its outbox
sender at once, so several processes on one database deliver without a polling delay. SQLite
has no such thing and needs none: it serves one process, woken in-process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "lipa_outbox"
_NOTIFY = text("SELECT pg_notify(:channel, :origin)")


async def notify_in(session: AsyncSession, origin: str = "", channel: str = OUTBOX_CHANNEL) -> None:
    """Queue a notification in the session's transaction (sent when it commits).

    ``origin`` names who queued the work, so a listener can skip its own process's
    notifications (its sender was woken in-process already).
    """
    await session.execute(_NOTIFY, {"channel": channel, "origin": origin})


async def listen_forever(
    url: str,
    on_notify: Callable[[], None],
    *,
    channel: str = OUTBOX_CHANNEL,
    retry_seconds: float = 2.0,
    ignore_origin: str | None = None,
) -> None:
    """Call ``on_notify`` for every notification on ``channel``, reconnecting as needed.

    Notifications sent with ``ignore_origin`` (this process's own commits, whose sender they
    woke already) are skipped: each would cost an empty pass over the outbox. ``on_notify``
    is also called after each (re)connection, in case work was queued while nobody listened.
    """
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def received(_connection: Any, _pid: int, _channel: str, origin: str) -> None:
        if ignore_origin is None or origin != ignore_origin:
            on_notify()

    while True:
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            log.warning("cannot listen for %s: %s", channel, type(error).__name__)
            await asyncio.sleep(retry_seconds)
            continue
        closed = asyncio.Event()
        connection.add_termination_listener(_setter(closed))
        try:
            await connection.add_listener(channel, received)
            on_notify()
            await closed.wait()
            log.warning("the %s listener's connection closed; reconnecting", channel)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("listening for %s failed: %s", channel, type(error).__name__)
        finally:
            if not connection.is_closed():
                await connection.close()
        await asyncio.sleep(retry_seconds)


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    """A termination callback that sets ``event`` (bound now, not by the loop variable)."""
    return lambda _connection: event.set()
