"""Sending the STK pushes that USSD sessions queued, once each session has ended.

A phone cannot show an STK prompt while its USSD session is open, and the USSD answer must not
wait for Daraja. So the USSD route stores the pending payment and a push request in one
transaction, answers END, and this worker sends the push moments later; the stored request
makes the push survive a crash between the answer and the push.

A push is sent at most once. It is claimed for a lease before Daraja is called; one whose
sender died mid-call is finished as interrupted and never sent again (Daraja has no
idempotency key, and the reconciler settles its payment). Only problems that prove nothing
reached the phone (busy, unreachable, subscriber locked) are tried again, within a short
window, since the customer is waiting for the prompt. After that, or on a refusal, the payment
fails and the customer is told by SMS (and in Telegram, if they use it) what to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from checkout.channels.ussd.telegram_copies import TelegramCopies
from checkout.domain.outcomes import PushProblem
from checkout.domain.phones import mask_phone
from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.time import Clock
from checkout.i18n.payments.ways_out import offer_text
from checkout.i18n.ussd import words as say
from checkout.outbox.replies import queue_reply
from checkout.payments.gateway import PushAccepted, PushFailed
from checkout.payments.ports import PushOutcome, QueuedPush
from checkout.payments.start import PaymentService
from checkout.payments.unit import UnitOfWorkFactory
from checkout.runtime.leased_worker import WakeableLoop, drain, seconds_until

log = logging.getLogger(__name__)

# Problems after which Daraja proved the prompt never reached the phone: safe to try again.
_RETRYABLE: Final = frozenset(
    {PushProblem.BUSY, PushProblem.UNAVAILABLE, PushProblem.SUBSCRIBER_LOCKED}
)
# The SMS telling a USSD customer why their push failed and what to do.


@dataclass(frozen=True, slots=True)
class PushPolicy:
    """How the worker claims, retries and gives up on queued pushes."""

    batch_size: int = 20
    # Longer than the longest Daraja call with its own retries; a lapsed claim is never resent.
    lease_seconds: float = 180.0
    first_backoff_seconds: float = 5.0
    max_backoff_seconds: float = 30.0
    # The customer ended the session expecting a prompt: a prompt much later is a surprise.
    give_up_after: timedelta = timedelta(seconds=90)
    idle_poll_seconds: float = 5.0  # also wakes on :meth:`PushWorker.wake`
    concurrency: int = 20
    shutdown_grace_seconds: float = 5.0  # lets pushes in flight record Daraja's answer

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the given number of attempts that did not reach the phone."""
        exponent = max(attempts - 1, 0)
        return float(min(self.first_backoff_seconds * 2.0**exponent, self.max_backoff_seconds))


@dataclass(frozen=True, slots=True)
class DeferredPushAttempt:
    """What one attempt did with a queued push (``outcome`` None: it is tried again later)."""

    push: QueuedPush
    outcome: PushOutcome | None
    problem: PushProblem | None = None


class PushWorker:
    """Sends queued pushes through the payment service, at most once each."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        payments: PaymentService,
        *,
        clock: Clock,
        copies: TelegramCopies | None = None,
        policy: PushPolicy | None = None,
        woken_by: asyncio.Event | None = None,
    ) -> None:
        """``woken_by``: an event set when a push is queued (the payment service sets it)."""
        self._units = units
        self._payments = payments
        self._clock = clock
        self._copies = copies
        self._policy = policy or PushPolicy()
        self._loop = WakeableLoop(
            "push queue",
            idle_poll_seconds=self._policy.idle_poll_seconds,
            logger=log,
            woken_by=woken_by,
        )

    def wake(self) -> None:
        """Ask the running loop to look at the queue now (called after a push is queued)."""
        self._loop.wake()

    async def run_once(self) -> list[DeferredPushAttempt]:
        """Finish interrupted pushes, then send every push due now; return what each did."""
        await self._finish_interrupted()
        return await drain(
            lambda: self._claim(self._policy.batch_size),
            self._send_all,
            batch_size=self._policy.batch_size,
        )

    async def run_forever(self) -> None:
        """Send pushes as they fall due until cancelled; pushes in flight get a grace period."""
        in_flight: set[asyncio.Task[DeferredPushAttempt]] = set()

        async def one_pass() -> float:
            await self._finish_interrupted()
            room = self._policy.concurrency - len(in_flight)
            claimed = await self._claim(room) if room > 0 else []
            for push in claimed:
                task = asyncio.create_task(self._send(push))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            return await self._seconds_until_due()

        try:
            # After a failed pass the loop still sleeps only until the next push is due.
            await self._loop.run_forever(one_pass, after_failure=self._seconds_until_due)
        finally:
            if in_flight:
                # A push cut off mid-call is never resent: let it record Daraja's answer.
                _, unfinished = await asyncio.wait(
                    in_flight, timeout=self._policy.shutdown_grace_seconds
                )
                for task in unfinished:
                    task.cancel()

    async def _seconds_until_due(self) -> float:
        try:
            async with self._units() as unit:
                due = await unit.pushes.next_due_at()
        except Exception:
            log.exception("could not read the push queue")
            return self._policy.idle_poll_seconds
        return seconds_until(due, self._clock(), at_most=self._policy.idle_poll_seconds)

    async def _send_all(self, batch: Sequence[QueuedPush]) -> list[DeferredPushAttempt]:
        return await asyncio.gather(*(self._send(push) for push in batch))

    async def _claim(self, limit: int) -> list[QueuedPush]:
        async with self._units() as unit:
            batch = await unit.pushes.claim_due(
                now=self._clock(), limit=limit, lease_seconds=self._policy.lease_seconds
            )
            await unit.commit()
        return list(batch)

    async def _finish_interrupted(self) -> None:
        async with self._units() as unit:
            interrupted = await unit.pushes.finish_interrupted(now=self._clock())
            await unit.commit()
        for push in interrupted:
            # Its payment stays pending: the reconciler asks Daraja or lets it expire.
            log.warning("push %s was interrupted mid-call; it is not sent again", push.id)

    async def _send(self, push: QueuedPush) -> DeferredPushAttempt:
        """Send one claimed push, or finish it without sending when that is no longer right."""
        async with self._units() as unit:
            payment = await unit.payments.get(push.payment_id)
        if (
            payment is None
            or payment.status is not PaymentStatus.PENDING
            or payment.checkout_request_id is not None
        ):
            return await self._finish(push, PushOutcome.SKIPPED, "payment no longer waits")
        if self._clock() - push.created_at > self._policy.give_up_after:
            return await self._give_up(push, payment, None)
        sent = await self._payments.send(payment)
        if isinstance(sent, PushAccepted):
            return await self._finish(push, PushOutcome.SENT)
        if sent.problem is PushProblem.OUTCOME_UNKNOWN:
            # The prompt may be on the phone: never push again; the reconciler settles it.
            log.warning("push %s outcome unknown: %s", push.id, sent.detail)
            return await self._finish(push, PushOutcome.UNKNOWN, sent.detail, sent.problem)
        retry_at = self._clock() + timedelta(seconds=self._policy.backoff(push.attempts))
        if sent.problem in _RETRYABLE and retry_at - push.created_at <= self._policy.give_up_after:
            log.info("push %s not sent (%s); trying again", push.id, sent.problem.value)
            async with self._units() as unit:
                await unit.pushes.retry_later(push.id, at=retry_at, error=sent.detail)
                await unit.commit()
            return DeferredPushAttempt(push, None, sent.problem)
        return await self._give_up(push, payment, sent)

    async def _finish(
        self,
        push: QueuedPush,
        outcome: PushOutcome,
        error: str | None = None,
        problem: PushProblem | None = None,
    ) -> DeferredPushAttempt:
        async with self._units() as unit:
            await unit.pushes.finish(push.id, outcome=outcome, now=self._clock(), error=error)
            await unit.commit()
        return DeferredPushAttempt(push, outcome, problem)

    async def _give_up(
        self, push: QueuedPush, payment: Payment, failure: PushFailed | None
    ) -> DeferredPushAttempt:
        """Fail the payment (its prompt never reached the phone) and tell the customer why.

        ``failure`` None: the push was not sent in time. The payment, the message and the
        push's end are written in one transaction.
        """
        now = self._clock()
        problem = failure.problem if failure is not None else None
        if failure is None:
            failure = PushFailed(PushProblem.UNAVAILABLE, "not sent in time")
            outcome = PushOutcome.LATE
        else:
            outcome = PushOutcome.FAILED
        log.warning(
            "push %s for %s given up: %s", push.id, mask_phone(payment.phone), failure.detail
        )

        def text(language: Language) -> str:
            return say.push_given_up_sms(
                language, problem, amount=payment.amount, order=payment.order_reference
            )

        async with self._units() as unit:
            if await self._payments.record_failure(unit, payment, failure, now=now):
                sms = text(payment.language)
                # After a second failed try: the other way to pay, in the same SMS.
                other_way = await self._payments.other_way_offer(unit, payment)
                if other_way is not None:
                    sms = f"{sms}\n{offer_text(payment, other_way)}"
                # The same key as a settled payment's message: the customer hears once.
                await queue_reply(
                    unit.outbox, payment, sms, now=now, dedupe_key=f"payment:{payment.id}:customer"
                )
                if self._copies is not None:
                    await self._copies.copy(unit, payment, text)
            await unit.pushes.finish(push.id, outcome=outcome, now=now, error=failure.detail)
            await unit.commit()
        return DeferredPushAttempt(push, outcome, failure.problem)
