"""Daraja's asynchronous answers about refunds: a Result, a queue timeout, a status answer.

The result route hands each Reversal, B2C or Transaction Status body for a refund here. A
completed result completes the refund once (a repeat changes nothing); a failed one fails it
with the reason, except a reversal Daraja would not run, which goes back to the sender for a
B2C payment when one is configured (nothing left the account). A queue timeout means Daraja
never ran the call: the refund is asked about through Transaction Status, never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from checkout.domain.refunds import Refund, RefundFailure, RefundMethod
from checkout.domain.time import Clock
from checkout.refunds.effects import RefundEffects, failure_for
from checkout.refunds.ports import RefundResult, RefundUnitOfWork, RefundUnitOfWorkFactory

log = logging.getLogger(__name__)

# Result parameters that name the transaction of the money going back, by call.
_TRANSACTION_KEYS = ("TransactionReceipt", "ReceiptNo", "TransactionID")
# Kept as the refund's latest code when Daraja dropped its call from the queue.
QUEUE_TIMEOUT = "queue_timeout"
# A reversal's result names the payment it reversed.
_ORIGINAL_KEYS = ("OriginalTransactionID", "OriginalTransID")


class Taken(StrEnum):
    """What taking one result did."""

    COMPLETED = "completed"
    FAILED = "failed"
    RETRY_B2C = "retry_b2c"  # the reversal failed; the refund goes out by B2C instead
    CHECKING = "checking"  # a queue timeout, or a status answer that does not settle it
    DUPLICATE = "duplicate"  # the refund was finished already: nothing changed
    UNKNOWN = "unknown"  # no refund in flight matches it


class RefundResults:
    """Applies Daraja's results to refunds in flight."""

    def __init__(
        self,
        units: RefundUnitOfWorkFactory,
        effects: RefundEffects,
        *,
        clock: Clock,
        b2c_available: bool,
        on_requeued: Callable[[], None] | None = None,
    ) -> None:
        """``on_requeued`` wakes the sender: a refund goes out by B2C, or is to be asked about."""
        self._units = units
        self._effects = effects
        self._clock = clock
        self._b2c_available = b2c_available
        self._on_requeued = on_requeued

    async def take(self, result: RefundResult) -> Taken:
        """Apply one Result or QueueTimeOut body."""
        async with self._units() as unit:
            refund = await unit.refunds.in_flight(
                originator_id=result.originator_id,
                conversation_id=result.conversation_id,
                receipt=_text(result, _ORIGINAL_KEYS),
            )
            if refund is None:
                log.info("an initiator result matches no refund in flight")
                return Taken.UNKNOWN
            taken = await self._apply(unit, refund, result)
            await unit.commit()
        wake = taken is Taken.RETRY_B2C or (taken is Taken.CHECKING and result.timed_out)
        if wake and self._on_requeued is not None:
            self._on_requeued()
        return taken

    async def _apply(self, unit: RefundUnitOfWork, refund: Refund, result: RefundResult) -> Taken:
        answers_check = (
            refund.check_conversation_id is not None
            and result.conversation_id == refund.check_conversation_id
        )
        if result.timed_out:
            # Daraja dropped the call from its queue: ask what became of it, never resend.
            log.warning("refund %s: queue timeout; asking Transaction Status", refund.id)
            await unit.refunds.schedule_check(refund.id, at=self._clock(), code=QUEUE_TIMEOUT)
            return Taken.CHECKING
        if answers_check:
            return await self._status_answer(unit, refund, result)
        if result.result_code == 0:
            done = await self._effects.complete(
                unit,
                refund,
                transaction_id=_text(result, _TRANSACTION_KEYS) or result.transaction_id,
                code=result.code,
                description=result.description,
            )
            return Taken.COMPLETED if done is not None else Taken.DUPLICATE
        failure = failure_for(result.code, result.description)
        if (
            refund.method is RefundMethod.REVERSAL
            and failure is RefundFailure.REFUSED
            and self._b2c_available
            and await unit.refunds.requeue(refund.id, now=self._clock())
        ):
            log.info("refund %s: reversal failed (%s); sending by B2C", refund.id, result.code)
            return Taken.RETRY_B2C
        done = await self._effects.fail(
            unit, refund, failure=failure, code=result.code, description=result.description
        )
        return Taken.FAILED if done is not None else Taken.DUPLICATE

    async def _status_answer(
        self, unit: RefundUnitOfWork, refund: Refund, result: RefundResult
    ) -> Taken:
        """Transaction Status about a refund whose own result never came."""
        if result.result_code != 0:
            # Daraja knows no such transaction: the refund never ran. Staff may ask again.
            dropped = refund.result_code == QUEUE_TIMEOUT
            done = await self._effects.fail(
                unit,
                refund,
                failure=RefundFailure.TIMED_OUT if dropped else RefundFailure.UNANSWERED,
                code=result.code,
                description=result.description,
            )
            return Taken.FAILED if done is not None else Taken.DUPLICATE
        status = str(result.parameters.get("TransactionStatus") or "").lower()
        receipt = _text(result, ("ReceiptNo",))
        if "reversed" in status or (
            status == "completed" and receipt and receipt != refund.receipt
        ):
            done = await self._effects.complete(
                unit, refund, transaction_id=receipt, code="0", description=result.description
            )
            return Taken.COMPLETED if done is not None else Taken.DUPLICATE
        if (
            refund.method is RefundMethod.REVERSAL
            and receipt == refund.receipt
            and refund.result_code == QUEUE_TIMEOUT
        ):
            # Dropped from Daraja's queue and the payment stands unreversed: it never ran.
            done = await self._effects.fail(
                unit,
                refund,
                failure=RefundFailure.TIMED_OUT,
                code=result.code,
                description=f"{refund.receipt} is {status or 'not reversed'}",
            )
            return Taken.FAILED if done is not None else Taken.DUPLICATE
        return Taken.CHECKING


def _text(result: RefundResult, keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` in the result's parameters, as text, or None."""
    for key in keys:
        value = result.parameters.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None
