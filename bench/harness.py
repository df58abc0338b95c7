"""What the service benchmarks share: the service and simulator in child processes, seeded
orders, and an inbox that hands each message the fake Bot API receives to the customer
waiting for it; :func:`seeded_service` puts the three together on a fresh database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict, Unpack

from sqlalchemy import insert

from bench.common import child_server, database
from bench.service_process import CALLBACK_SECRET
from lipa.demo import free_port
from lipa_testing.telegram_api import FakeTelegram, SentMessage
from storage.database import create_engine
from storage.models import OrderRow


@dataclass(frozen=True, slots=True)
class ServiceProcess:
    """The running service: its process id and where it listens."""

    pid: int
    port: int

    @property
    def callback_url(self) -> str:
        """Where M-Pesa callbacks are POSTed."""
        return f"http://127.0.0.1:{self.port}/mpesa/callback/{CALLBACK_SECRET}"


@contextlib.asynccontextmanager
async def running_service(
    database_url: str,
    telegram: FakeTelegram,
    *,
    max_messages_per_second: int = 30,
    staff_chat_id: int | None = None,
    callback_delay: float = 0.05,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[ServiceProcess]:
    """The Daraja simulator and the service, each in its own process, talking to ``telegram``
    (``env``: environment variables added to the service's)."""
    simulator_port = free_port()
    async with child_server(
        "bench.service_process",
        "simulator",
        "--port",
        str(simulator_port),
        "--callback-delay",
        str(callback_delay),
        port=simulator_port,
    ):
        port = free_port()
        arguments = [
            "service",
            "--database-url",
            database_url,
            "--port",
            str(port),
            "--telegram-base-url",
            telegram.base_url,
            "--telegram-token",
            telegram.token,
            "--mpesa-base-url",
            f"http://127.0.0.1:{simulator_port}",
            "--max-messages-per-second",
            str(max_messages_per_second),
        ]
        if staff_chat_id is not None:
            arguments += ["--staff-chat-id", str(staff_chat_id)]
        async with child_server("bench.service_process", *arguments, port=port, env=env) as pid:
            yield ServiceProcess(pid, port)


async def seed_orders(url: str, references: Sequence[str], amount: int) -> None:
    """Orders the business created, one per reference, each due ``amount``."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    rows = [
        {
            "reference": reference,
            "amount_due": amount,
            "amount_paid": 0,
            "status": "open",
            "known": True,
            "created_at": now,
            "updated_at": now,
        }
        for reference in references
    ]
    async with engine.begin() as connection:
        for first in range(0, len(rows), 5000):
            await connection.execute(insert(OrderRow), rows[first : first + 5000])
    await engine.dispose()


@dataclass(slots=True, eq=False)
class _Waiter:
    contains: str
    future: asyncio.Future[SentMessage]


@dataclass(slots=True)
class _Chat:
    messages: list[SentMessage] = field(default_factory=list)
    read: int = 0  # every message before this one was handed to a waiter
    taken: set[int] = field(default_factory=set)  # later ones handed to a waiter
    waiters: list[_Waiter] = field(default_factory=list)


class Inbox:
    """Hands the fake Bot API's messages to customers, chat by chat.

    The fake's own ``wait_for`` checks every waiter on every message, which with hundreds of
    customers waiting costs the benchmark's driver more than the service it measures. Here
    one watcher files each new message under its chat once. :meth:`next` returns the chat's
    oldest message containing a text that no earlier call returned.
    """

    def __init__(self, telegram: FakeTelegram) -> None:
        self._telegram = telegram
        self._chats: dict[int, _Chat] = defaultdict(_Chat)
        self._position = 0
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> Inbox:
        self._watcher = asyncio.create_task(
            self._telegram.wait_until(self._file_new_messages, timeout=24 * 3600)
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closed = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._watcher

    def _file_new_messages(self) -> bool:
        sent = self._telegram.sent
        while self._position < len(sent):
            message = sent[self._position]
            self._position += 1
            chat = self._chats[message.chat_id]
            chat.messages.append(message)
            self._serve(chat)
        return self._closed

    @staticmethod
    def _serve(chat: _Chat) -> None:
        for waiter in list(chat.waiters):
            found = next(
                (
                    index
                    for index in range(chat.read, len(chat.messages))
                    if index not in chat.taken and waiter.contains in chat.messages[index].body
                ),
                None,
            )
            if found is None:
                continue
            chat.taken.add(found)
            while chat.read in chat.taken:
                chat.taken.remove(chat.read)
                chat.read += 1
            chat.waiters.remove(waiter)
            if not waiter.future.done():
                waiter.future.set_result(chat.messages[found])

    async def next(self, chat_id: int, contains: str, timeout: float = 60.0) -> SentMessage:  # noqa: ASYNC109 - the timeout is the wait's own
        """The chat's next unread message containing ``contains``, waiting for it."""
        chat = self._chats[chat_id]
        future: asyncio.Future[SentMessage] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(contains, future)
        chat.waiters.append(waiter)
        self._serve(chat)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if waiter in chat.waiters:
                chat.waiters.remove(waiter)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Every message the chat has received so far."""
        self._file_new_messages()
        return list(self._chats[chat_id].messages)


class ServiceOptions(TypedDict, total=False):
    """The options of :func:`running_service`, for the helpers that pass them on."""

    max_messages_per_second: int
    staff_chat_id: int | None
    callback_delay: float
    env: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class Shop:
    """A running service with its orders seeded: the fake Bot API the customers talk through,
    the inbox their replies arrive in, and the service's process."""

    telegram: FakeTelegram
    inbox: Inbox
    service: ServiceProcess


@contextlib.asynccontextmanager
async def seeded_service(
    kind: str,
    references: Sequence[str],
    amount: int,
    **service: Unpack[ServiceOptions],
) -> AsyncIterator[Shop]:
    """A fresh ``kind`` database with an order of ``amount`` per reference, the simulator and
    the service running on it (``service``: :func:`running_service`'s options), and an inbox
    on the fake Bot API; everything is stopped and dropped on leaving."""
    async with database(kind) as url, FakeTelegram() as telegram:
        await seed_orders(url, references, amount)
        async with (
            running_service(url, telegram, **service) as process,
            Inbox(telegram) as inbox,
        ):
            yield Shop(telegram, inbox, process)
