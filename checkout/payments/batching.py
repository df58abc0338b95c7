"""Group commit for settlements: callbacks that arrive together share one transaction.

A burst of callbacks (salary day) would otherwise pay one commit each. The batcher queues
each result and settles everything queued in one unit of work as soon as the previous one
has committed, so a lone callback waits for nothing and a burst shares its commits. If a
batch fails, its results are settled one by one, so one bad result cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from checkout.domain.records import ReceivedBody
from checkout.payments.gateway import PaymentResult
from checkout.payments.settling.callback_bodies import CallbackBodies
from checkout.payments.settling.results import SettleOutcome
from checkout.payments.settling.settle import SettlementService

log = logging.getLogger(__name__)


class Settler(Protocol):
    """Anything that settles one result: the service itself, or the batcher in front of it."""

    @property
    def bodies(self) -> CallbackBodies:
        """Where callback bodies that could not be settled are kept."""
        ...

    async def settle(
        self,
        result: PaymentResult,
        *,
        source: str,
        raw: dict[str, Any] | None = None,
        received: ReceivedBody | None = None,
    ) -> SettleOutcome:
        """Settle ``result`` from ``source`` ("callback" or "query"), keeping ``received``."""
        ...


@dataclass(slots=True)
class _Item:
    result: PaymentResult
    source: str
    raw: dict[str, Any] | None
    received: ReceivedBody | None
    done: asyncio.Future[SettleOutcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SettlementBatcher:
    """Settles results through ``settlement`` in batches of up to ``max_batch``."""

    def __init__(self, settlement: SettlementService, *, max_batch: int = 100) -> None:
        self._settlement = settlement
        self._max_batch = max_batch
        self._queue: list[_Item] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions settled the results so far

    @property
    def bodies(self) -> CallbackBodies:
        """Where callback bodies that could not be settled are kept."""
        return self._settlement.bodies

    async def settle(
        self,
        result: PaymentResult,
        *,
        source: str,
        raw: dict[str, Any] | None = None,
        received: ReceivedBody | None = None,
    ) -> SettleOutcome:
        """Queue ``result`` and wait until its batch (which keeps ``received``) has committed."""
        item = _Item(result, source, raw, received)
        self._queue.append(item)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await asyncio.shield(item.done)

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            self.batches += 1
            try:
                outcomes = await self._settlement.settle_batch(
                    [(item.result, item.source, item.raw) for item in batch],
                    [item.received for item in batch],
                )
            except Exception:
                log.warning("a batch of %d settlements failed; settling one by one", len(batch))
                await self._one_by_one(batch)
            else:
                for item, outcome in zip(batch, outcomes, strict=True):
                    item.done.set_result(outcome)

    async def _one_by_one(self, batch: list[_Item]) -> None:
        for item in batch:
            try:
                outcome = await self._settlement.settle(
                    item.result, source=item.source, raw=item.raw, received=item.received
                )
            except Exception as error:
                item.done.set_exception(error)
            else:
                item.done.set_result(outcome)
