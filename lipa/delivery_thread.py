"""Delivering the outbox on an event loop of its own, in a thread (``OUTBOX_IN_THREAD``).

The server's event loop acknowledges callbacks and answers updates; sending the outbox
(claiming batches, the HTTP sends, marking them sent) is work of another kind that, on the same
loop, made every acknowledgement wait behind it. :class:`ThreadedDelivery` runs the outbox
sender in a thread with its own event loop, database engine and HTTP clients, built there by
the ``build`` function it is given, and is the server loop's view of that sender:

- it is the process's :class:`checkout.outbox.ports.OutboxDelivery` (it takes the units'
  :class:`checkout.outbox.handoff.SenderSlot`): a commit on the server's loop claims its
  messages for the thread's sender and hands them over through that loop's
  ``call_soon_threadsafe``, as it would hand them to a sender on its own loop;
- :meth:`ThreadedDelivery.run_forever` is a worker of the server: it starts the thread and
  returns when it ends; cancelled (``lipa serve`` stopping), it stops the thread's sender,
  which lets the sends in flight finish for a moment (``DeliveryPolicy.stop_grace_seconds``)
  and leaves the others leased, to be sent after their lease by whichever sender runs next.

Senders that must stay on the server's loop (Telegram's bot and its pacer, shared with the
replies; the web page's wake-ups; WhatsApp's) are reached from the thread through
:class:`OnLoop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from checkout.domain.records import Channel, OutboxMessage
from checkout.outbox.delivery import OutboxSender
from checkout.outbox.ports import MessageSender

log = logging.getLogger(__name__)

Worker = Callable[[], Coroutine[Any, Any, None]]


class DeliveryWorker(Protocol):
    """What runs the process's outbox delivery: a sender on this loop, or the thread's."""

    async def run_forever(self) -> None:
        """Deliver until cancelled."""

    def wake(self) -> None:
        """Look at the outbox now."""


@dataclass(frozen=True, slots=True)
class DeliveryParts:
    """What the thread runs: the sender, and work that goes with it (PostgreSQL's listener)."""

    sender: OutboxSender
    workers: tuple[Worker, ...] = ()


# Builds the thread's parts on the thread's loop; what it opens, ``stack`` closes there.
DeliveryBuilder = Callable[[contextlib.AsyncExitStack], Awaitable[DeliveryParts]]


class ThreadedDelivery:
    """The outbox sender of a thread of its own, as the server's loop sees it."""

    def __init__(self, build: DeliveryBuilder, *, name: str = "lipa-outbox") -> None:
        self._build = build
        self._name = name
        self._guard = threading.Lock()  # _loop, _task and _stopping, between the threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._sender: OutboxSender | None = None

    @property
    def sender(self) -> OutboxSender | None:
        """The thread's sender while it runs (its methods are for the thread's loop only)."""
        return self._sender

    def lease_until(self) -> datetime | None:
        """The running sender's lease for new messages; None while the thread is not delivering.

        Read from the server's loop: the sender's flight is only counted here (a length read).
        """
        sender = self._sender
        return sender.lease_until() if sender is not None else None

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Hand claimed messages to the thread's sender (if it stopped, they wait for their
        lease, as with a sender on this loop)."""
        self._call(lambda sender: sender.take(messages))

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """Tell the thread's sender of messages no commit could claim."""
        self._call(lambda sender: sender.waiting(chats))

    def wake(self) -> None:
        """Ask the thread's sender to look at the outbox now."""
        self._call(lambda sender: sender.wake())

    def _call(self, step: Callable[[OutboxSender], None]) -> None:
        with self._guard:
            loop, sender = self._loop, self._sender
            if loop is None or sender is None or self._stopping:
                return
            try:
                loop.call_soon_threadsafe(step, sender)
            except RuntimeError:  # the loop closed meanwhile
                return

    async def run_forever(self) -> None:
        """Deliver in the thread until cancelled; then stop the thread and wait for it.

        An error that ends the thread (its engine could not be made) is raised here.
        """
        main = asyncio.get_running_loop()
        ended: asyncio.Future[None] = main.create_future()
        with self._guard:
            self._stopping = False
        thread = threading.Thread(
            target=self._thread_main, args=(main, ended), name=self._name, daemon=True
        )
        thread.start()
        try:
            await asyncio.shield(ended)
        except asyncio.CancelledError:
            self._stop()
            # Wait for the thread's sender to stop: what it sent is marked, the rest leased.
            with contextlib.suppress(Exception):
                await ended
            raise
        finally:
            if not ended.done():
                self._stop()
            await asyncio.to_thread(thread.join)

    def _stop(self) -> None:
        with self._guard:
            self._stopping = True
            if self._loop is not None and self._task is not None:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._task.cancel)

    def _thread_main(self, main: asyncio.AbstractEventLoop, ended: asyncio.Future[None]) -> None:
        error: BaseException | None = None
        try:
            asyncio.run(self._serve())
        except BaseException as failure:  # handed to the server's loop, raised there
            error = failure
        with contextlib.suppress(RuntimeError):  # the server's loop is gone: nobody to tell
            main.call_soon_threadsafe(_end, ended, error)

    async def _serve(self) -> None:
        with self._guard:
            if self._stopping:
                return
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        try:
            async with contextlib.AsyncExitStack() as stack:
                parts = await self._build(stack)
                with self._guard:
                    self._sender = parts.sender
                try:
                    async with asyncio.TaskGroup() as group:
                        for worker in (parts.sender.run_forever, *parts.workers):
                            group.create_task(worker())
                finally:
                    with self._guard:
                        self._sender = None
        except asyncio.CancelledError:
            log.debug("outbox thread stopped")
        finally:
            with self._guard:
                self._loop = None
                self._task = None


def _end(ended: asyncio.Future[None], error: BaseException | None) -> None:
    if ended.done():
        return
    if error is None or isinstance(error, asyncio.CancelledError):
        ended.set_result(None)
    else:
        ended.set_exception(error)


class OnLoop:
    """A :class:`MessageSender` that sends through ``sender`` on ``loop`` (the server's).

    For senders bound to the server's loop (Telegram's bot, whose pacer and chat turns the
    replies share): the thread's sender awaits each send there. Cancelled (the thread stops),
    the send on the server's loop is cancelled too.
    """

    def __init__(self, sender: MessageSender, loop: asyncio.AbstractEventLoop) -> None:
        self._sender = sender
        self._loop = loop

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Send on the server's loop and wait for the outcome (its DeliveryFailed included)."""
        sending = self._sender.send(channel, chat_key, payload)
        try:
            future: Future[None] = asyncio.run_coroutine_threadsafe(sending, self._loop)
        except RuntimeError:
            sending.close()  # the server's loop is closed: retried later, as any failure
            raise
        await asyncio.wrap_future(future)
