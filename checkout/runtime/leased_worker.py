"""The loop every leased queue shares: claim due rows, work them, sleep until due or woken.

The outbox sender, the USSD deferred pushes, the reconciler and the installment collector each
claim due rows for a lease (the SQL claim lives in their repository), work what they claimed,
and look again later. :func:`drain` is one pass (claim batches until a short one);
:class:`WakeableLoop` runs passes until cancelled, sleeping until the next row falls due, at
most an idle poll, or until :meth:`WakeableLoop.wake` is called. A failed pass is logged and
the loop goes on: a database hiccup must never stop a worker for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

log = logging.getLogger(__name__)

Row = TypeVar("Row")
Done = TypeVar("Done")


async def drain(
    claim: Callable[[], Awaitable[Sequence[Row]]],
    work: Callable[[Sequence[Row]], Awaitable[Sequence[Done]]],
    *,
    batch_size: int,
    again: Callable[[Sequence[Row]], bool] | None = None,
) -> list[Done]:
    """Claim and work batches until a claim comes back short; return what each row did.

    ``again`` may stop the pass earlier (after a full batch of rows already seen, say).
    """
    done: list[Done] = []
    while True:
        batch = await claim()
        done += await work(batch)
        if len(batch) < batch_size or (again is not None and not again(batch)):
            return done


def seconds_until(due: datetime | None, now: datetime, *, at_most: float) -> float:
    """How long to sleep for a row due at ``due`` (None: nothing queued), at most ``at_most``."""
    if due is None:
        return at_most
    wait = (due - now).total_seconds()
    return min(max(wait, 0.0), at_most)


class WakeableLoop:
    """Runs a worker's passes until cancelled, sleeping between them until due or woken."""

    def __init__(
        self,
        name: str,
        *,
        idle_poll_seconds: float,
        logger: logging.Logger | None = None,
        woken_by: asyncio.Event | None = None,
    ) -> None:
        """``woken_by`` is the event that wakes the loop, when something built before the
        worker must be able to wake it (else the loop makes its own)."""
        self._name = name
        self._log = logger or log
        self._idle_poll_seconds = idle_poll_seconds
        self._wake = woken_by if woken_by is not None else asyncio.Event()

    @property
    def event(self) -> asyncio.Event:
        """The event :meth:`wake` sets (set it from a callback to wake the loop)."""
        return self._wake

    def wake(self) -> None:
        """Ask the loop to run a pass now (work was queued, or a row got free)."""
        self._wake.set()

    async def run_forever(
        self,
        one_pass: Callable[[], Awaitable[float]],
        *,
        after_failure: Callable[[], Awaitable[float]] | None = None,
    ) -> None:
        """Run ``one_pass`` (which returns how long to sleep) again and again until cancelled.

        A wake-up during a pass starts the next pass at once. After a failed pass (logged as
        "<name> pass failed") the loop sleeps for ``after_failure()``, by default the idle poll.
        """
        while True:
            self._wake.clear()
            try:
                timeout = await one_pass()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("%s pass failed", self._name)
                timeout = (
                    await after_failure() if after_failure is not None else self._idle_poll_seconds
                )
            else:
                if self._wake.is_set():
                    continue  # more was queued (or a row got free) meanwhile: go again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
