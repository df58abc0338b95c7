"""Delivering the outbox from a process of its own (``OUTBOX_IN_PROCESS``): the server's side.

In a thread (:mod:`lipa.delivery_thread`) the outbox has its own event loop but shares the
interpreter's lock with the server: every send, claim and mark still holds up the
acknowledgements for as long as it runs Python. :class:`ProcessDelivery` runs the outbox
sender in a child process (``python -m lipa.outbox_process``), with its own interpreter,
event loop, database engine, HTTP clients and Telegram bot, and is the server's view of it:

- it is the process's :class:`checkout.outbox.ports.OutboxDelivery` (it takes the units'
  :class:`checkout.outbox.handoff.SenderSlot`), with no lease to claim for: a commit leaves
  its messages unclaimed and :meth:`ProcessDelivery.waiting` wakes the child by writing a
  byte on its standard input (coalesced: none while an earlier one is still unwritten). The
  child claims them with a lease, as another server process would: never sent twice, and
  sent after the lease if the child dies holding them. On PostgreSQL other processes'
  commits reach it by ``NOTIFY``, which it listens for itself.
- the other way, the child tells the server on its standard output which web checkout pages
  to wake and which Bot API answers were not 200 (its metrics count Telegram's 429s);
- :meth:`ProcessDelivery.run_forever` is a worker of the server: it starts the child, hands
  it the :class:`ProcessBrief` and starts another (with a log line) if it ends unasked.
  Cancelled (``lipa serve`` stopping), it closes the child's standard input: the child lets
  its sends in flight finish (``DeliveryPolicy.stop_grace_seconds``), marks them sent and
  exits; one that has not after ``stop_seconds`` is killed (its messages keep their lease).

Telegram's rate: the child's bot paces the outbox's sends at :func:`telegram_shares`' outbox
share of ``TELEGRAM_MAX_MESSAGES_PER_SECOND``; the server's bot paces its replies at the rest.
Each has its own per-chat pacing and chat turns, as two server processes have.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import struct
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from checkout.domain.records import Channel, OutboxMessage
from checkout.outbox.delivery import DeliveryPolicy
from lipa.settings import Settings

log = logging.getLogger(__name__)

CHILD_MODULE = "lipa.outbox_process"
# The brief's length, before it, on the child's standard input.
_HEADER = struct.Struct("!I")
_WAKE = b"w"


@dataclass(frozen=True, slots=True)
class ProcessBrief:
    """What the server tells the delivering process it is started with."""

    settings: Settings
    policy: DeliveryPolicy | None
    text_mark: str
    # The server's units' PostgreSQL notifications: their commits wake the child by the pipe.
    server_origin: str
    # The outbox's share of TELEGRAM_MAX_MESSAGES_PER_SECOND (the server keeps the rest).
    telegram_rate: int

    def encode(self) -> bytes:
        """The brief as written on the child's standard input."""
        body = pickle.dumps(self)
        return _HEADER.pack(len(body)) + body


def read_brief(fd: int) -> ProcessBrief:
    """The brief from ``fd``, read byte-exactly, so the wake-ups after it stay in the pipe."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    # Written by the server that started this process, on a pipe only the two of them hold.
    brief = pickle.loads(_read_exactly(fd, size))  # noqa: S301
    if not isinstance(brief, ProcessBrief):
        raise TypeError("not a delivery brief")
    return brief


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            raise EOFError("the server closed the pipe before the brief was read")
        chunks += chunk
    return bytes(chunks)


def telegram_shares(overall_per_second: int) -> tuple[int, int]:
    """(the server's replies, the outbox process) shares of Telegram's overall rate.

    A third (at least one a second) for the replies to updates and staff commands, the rest
    for the outbox (receipts, staff notices); at 1 a second both get 1.
    """
    replies = max(1, overall_per_second // 3)
    return replies, max(1, overall_per_second - replies)


class ProcessDelivery:
    """The outbox sender of a child process, as the server's loop sees it."""

    def __init__(
        self,
        brief: ProcessBrief,
        *,
        on_notice: Callable[[str], None] | None = None,
        on_telegram_status: Callable[[int], None] | None = None,
        restart_seconds: float = 1.0,
        stop_seconds: float | None = None,
        command: Sequence[str] = (sys.executable, "-m", CHILD_MODULE),
    ) -> None:
        """``on_notice``: told the order of each web-channel message the child delivers (the
        web checkout's pages wait in this process). ``on_telegram_status``: told the status of
        each Bot API answer to the child that was not 200 (this process's metrics count the
        429s). Both come as lines on the child's standard output (see :func:`tell_server`).
        ``restart_seconds``: the first wait before a child that ended is started again
        (doubling, up to a minute, while children keep ending within a minute).
        ``stop_seconds``: how long a stopping child may take (default: the policy's grace
        and ten seconds more)."""
        self._brief = brief
        self._told = {"web": on_notice, "telegram": on_telegram_status}
        self._restart_seconds = restart_seconds
        grace = (brief.policy or DeliveryPolicy()).stop_grace_seconds
        self._stop_seconds = stop_seconds if stop_seconds is not None else grace + 10.0
        self._command = tuple(command)
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        """The running child's process id (None between children)."""
        return self._process.pid if self._process is not None else None

    def lease_until(self) -> datetime | None:
        """No lease: commits leave their messages for the child to claim."""
        return None

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Nothing is ever claimed for the child (see :meth:`lease_until`)."""

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """A commit queued messages: wake the child."""
        self.wake()

    def wake(self) -> None:
        """Ask the child to look at the outbox now: a byte on its pipe, unless one waits."""
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return
        if process.stdin.transport.get_write_buffer_size() > 0:
            return  # the child has not read the last wake-up yet: this one adds nothing
        process.stdin.write(_WAKE)

    async def run_forever(self) -> None:
        """Keep a child delivering until cancelled; then stop it and wait for it."""
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            started = loop.time()
            code = await self._run_child()
            failures = failures + 1 if loop.time() - started < 60.0 else 1
            delay = min(self._restart_seconds * 2 ** (failures - 1), 60.0)
            log.warning(
                "the outbox's delivery process ended (exit code %s); starting another in %.0f s",
                code,
                delay,
            )
            await asyncio.sleep(delay)

    async def _run_child(self) -> int:
        process = await asyncio.create_subprocess_exec(
            *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        self._process = process
        assert process.stdout is not None
        reading = asyncio.ensure_future(self._read_told(process.stdout))
        try:
            assert process.stdin is not None
            process.stdin.write(self._brief.encode())
            log.info("outbox delivered by process %d", process.pid)
            return await process.wait()
        except asyncio.CancelledError:
            await self._stop(process)
            raise
        finally:
            self._process = None
            # The pipe ends with the child: what it wrote is read to the end first.
            with contextlib.suppress(Exception):
                await reading

    async def _read_told(self, lines: asyncio.StreamReader) -> None:
        while line := await lines.readline():
            try:
                kind, value = json.loads(line)
            except ValueError:
                continue
            hook = self._told.get(kind)
            if hook is not None:
                hook(value)

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
        if process.stdin is not None:
            process.stdin.close()  # the child's sign to stop
        try:
            async with asyncio.timeout(self._stop_seconds):
                await process.wait()
        except TimeoutError:
            log.warning("the outbox's delivery process did not stop; killed")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def tell_server(kind: str, value: str | int) -> None:
    """From the child: tell the server something it keeps (``web``: the order of a web-channel
    message delivered, whose pages to wake; ``telegram``: a Bot API answer's status).

    One JSON pair a line on the child's standard output (a pipe to the server), written whole
    in one call (a line is far below the pipe's atomic size).
    """
    os.write(sys.stdout.fileno(), (json.dumps([kind, value]) + "\n").encode())


def process_brief(
    settings: Settings, *, policy: DeliveryPolicy | None, text_mark: str, origin: str
) -> ProcessBrief:
    """The brief for a child delivering what ``settings`` turn on."""
    _, outbox_rate = telegram_shares(settings.telegram_max_messages_per_second)
    return ProcessBrief(settings, policy, text_mark, origin, outbox_rate)
