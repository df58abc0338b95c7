"""Sending approved refunds to Daraja, each at most once, whatever processes run or die.

A pass expires stale requests, hands on leases that ran out, then claims approved refunds
(``sending``, for a lease) and sends each: the whole payment by Reversal, a part (or a whole
one whose reversal Daraja refused) by B2C to the customer's phone when a B2C shortcode is
configured, else it fails with the reason. The call is recorded (``call_started_at``,
committed) before it is made: a sender that dies after that leaves a refund that is asked
about through Transaction Status, never sent again. After Daraja accepts a call the refund is
``sent`` until its result comes (:mod:`checkout.refunds.results`); with no result in time it
is asked about, a few times, then the staff are told to look.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from checkout.domain.phones import PhoneError, normalise_phone
from checkout.domain.refunds import Refund, RefundFailure, RefundMethod
from checkout.domain.time import Clock
from checkout.refunds.desk import RefundDesk
from checkout.refunds.effects import RefundEffects, failure_for
from checkout.refunds.ports import (
    CallAnswer,
    CallOutcome,
    RefundGateway,
    RefundRepository,
    RefundUnitOfWorkFactory,
)
from checkout.runtime.leased_worker import WakeableLoop, seconds_until

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """Leases, waits and bounds of the sender."""

    lease_seconds: float = 180.0  # longer than a Daraja call with its retries
    batch_size: int = 20
    result_wait: timedelta = timedelta(minutes=15)  # no result by then: ask Transaction Status
    unknown_wait: timedelta = timedelta(minutes=2)  # a call that got no answer: ask sooner
    check_every: timedelta = timedelta(minutes=10)
    max_checks: int = 3
    idle_poll_seconds: float = 60.0


class _Claim(Protocol):
    """One of the repository's claims: ``claim_approved`` or ``claim_checks``."""

    async def __call__(
        self, *, now: datetime, lease_seconds: float, limit: int
    ) -> Sequence[Refund]: ...


class Sent(StrEnum):
    """What sending one refund did."""

    SENT = "sent"  # Daraja accepted it (or may have): its result is awaited
    FAILED = "failed"  # refused (or impossible): the staff are told why
    LOST = "lost"  # the lease was gone before the call: another sender holds it


def new_originator_id(refund: Refund) -> str:
    """Our OriginatorConversationID for a call: unique per call, naming the refund."""
    return f"lipa-rf-{refund.id}-{uuid.uuid4().hex[:12]}"


def remarks_for(refund: Refund) -> str:
    """The Remarks of a call (Daraja takes up to 100 characters)."""
    return f"Refund {refund.order_reference}"[:100]


class RefundSender:
    """The refunds' background worker (one per process; leases keep processes apart)."""

    def __init__(
        self,
        units: RefundUnitOfWorkFactory,
        gateway: RefundGateway,
        effects: RefundEffects,
        desk: RefundDesk,
        *,
        clock: Clock,
        policy: SendPolicy | None = None,
        woken_by: asyncio.Event | None = None,
    ) -> None:
        self._units = units
        self._gateway = gateway
        self._effects = effects
        self._desk = desk
        self._clock = clock
        self._policy = policy or SendPolicy()
        self._loop = WakeableLoop(
            "refund sender",
            idle_poll_seconds=self._policy.idle_poll_seconds,
            logger=log,
            woken_by=woken_by,
        )

    def wake(self) -> None:
        """Run a pass now (a refund was approved)."""
        self._loop.wake()

    async def run_forever(self) -> None:
        """Run passes until cancelled."""
        await self._loop.run_forever(self.one_pass)

    async def one_pass(self) -> float:
        """Expire, hand on lost leases, send approved refunds, ask about silent ones.

        Returns how long to sleep before the next pass.
        """
        await self._desk.expire_old()
        now = self._clock()
        async with self._units() as unit:
            moved = await unit.refunds.release_unstarted(now=now)
            await unit.commit()
        for refund in moved:
            log.warning("refund %s: its sender's lease ran out (now %s)", refund.id, refund.state)
        while True:
            claimed = await self._claim(lambda refunds: refunds.claim_approved)
            for refund in claimed:
                await self.send(refund)
            if len(claimed) < self._policy.batch_size:
                break
        for refund in await self._claim(lambda refunds: refunds.claim_checks):
            await self.check(refund)
        async with self._units() as unit:
            due = await unit.refunds.next_due_at()
        return seconds_until(due, self._clock(), at_most=self._policy.idle_poll_seconds)

    async def _claim(self, which: Callable[[RefundRepository], _Claim]) -> Sequence[Refund]:
        """A batch claimed by ``which`` of the repository's claims (for the policy's lease), in
        a transaction of its own."""
        async with self._units() as unit:
            claimed = await which(unit.refunds)(
                now=self._clock(),
                lease_seconds=self._policy.lease_seconds,
                limit=self._policy.batch_size,
            )
            await unit.commit()
        return claimed

    async def send(self, refund: Refund) -> Sent:
        """Send one claimed refund: Reversal for a whole payment, else B2C (or fail)."""
        async with self._units() as unit:
            payment = await unit.payments.get(refund.payment_id)
        if payment is None:
            raise LookupError(f"refund {refund.id}: no payment {refund.payment_id}")
        tried_reversal = refund.method is RefundMethod.REVERSAL and refund.attempts > 0
        method = (
            RefundMethod.REVERSAL
            if refund.amount == payment.amount and not tried_reversal
            else RefundMethod.B2C
        )
        if not self._gateway.can_send:
            return await self._fail(refund, RefundFailure.NOT_SET_UP)
        if method is RefundMethod.B2C:
            if not self._gateway.b2c_available:
                return await self._fail(refund, RefundFailure.NO_B2C)
            try:
                phone = normalise_phone(payment.phone)
            except PhoneError:
                return await self._fail(refund, RefundFailure.NO_PHONE)
        originator = new_originator_id(refund)
        async with self._units() as unit:
            started = await unit.refunds.start_call(
                refund.id, method=method, originator_id=originator, now=self._clock()
            )
            await unit.commit()
        if not started:
            return Sent.LOST
        if method is RefundMethod.REVERSAL:
            answer = await self._gateway.reverse(
                receipt=refund.receipt, amount=refund.amount, remarks=remarks_for(refund)
            )
        else:
            answer = await self._gateway.pay_phone(
                originator_id=originator,
                phone=phone,
                amount=refund.amount,
                remarks=remarks_for(refund),
                occasion=f"refund-{refund.id}",
            )
        return await self._answered(refund, method, originator, answer)

    async def _answered(
        self, refund: Refund, method: RefundMethod, originator: str, answer: CallAnswer
    ) -> Sent:
        now = self._clock()
        if answer.outcome is CallOutcome.REFUSED:
            failure = failure_for(answer.code or "", answer.description)
            if (
                method is RefundMethod.REVERSAL
                and failure is RefundFailure.REFUSED
                and self._gateway.b2c_available
            ):
                # Daraja refused the reversal outright: nothing went out, so B2C may send it.
                log.info("refund %s: reversal refused (%s); trying B2C", refund.id, answer.code)
                async with self._units() as unit:
                    current = await unit.refunds.get(refund.id)
                assert current is not None
                return await self.send(current)
            return await self._fail(refund, failure, answer.code or "", answer.description)
        wait = self._policy.result_wait
        if answer.outcome is CallOutcome.UNKNOWN:
            # It may have reached Daraja: never send it again; ask what became of it.
            log.warning("refund %s: Daraja did not answer the %s call", refund.id, method.value)
            wait = self._policy.unknown_wait
        async with self._units() as unit:
            await unit.refunds.mark_sent(
                refund.id,
                originator_id=answer.originator_id or originator,
                conversation_id=answer.conversation_id,
                now=now,
                check_at=now + wait,
            )
            await unit.commit()
        log.info("refund %s sent by %s", refund.id, method.value)
        return Sent.SENT

    async def _fail(
        self, refund: Refund, failure: RefundFailure, code: str = "", description: str = ""
    ) -> Sent:
        async with self._units() as unit:
            await self._effects.fail(
                unit, refund, failure=failure, code=code, description=description
            )
            await unit.commit()
        return Sent.FAILED

    async def check(self, refund: Refund) -> None:
        """Ask Transaction Status about a sent refund whose result never came (bounded)."""
        now = self._clock()
        if refund.status_checks >= self._policy.max_checks:
            async with self._units() as unit:
                await unit.refunds.schedule_check(refund.id, at=None)
                await self._effects.unknown(unit, refund)
                await unit.commit()
            return
        # A B2C payment has no transaction id until its Result: ask about its call. (The
        # customer's receipt would only say that payment still stands.)
        b2c = refund.method is RefundMethod.B2C and not refund.transaction_id
        answer = await self._gateway.ask_status(
            transaction_id=None if b2c else refund.transaction_id or refund.receipt,
            originator_id=refund.originator_id,
            remarks=remarks_for(refund),
            by_call=refund.originator_id if b2c else None,
        )
        async with self._units() as unit:
            await unit.refunds.schedule_check(
                refund.id,
                at=now + self._policy.check_every,
                conversation_id=answer.conversation_id or answer.originator_id or "",
            )
            await unit.commit()
