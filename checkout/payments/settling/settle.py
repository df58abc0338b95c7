"""Settling payments: Daraja's result becomes a payment status, an order update and messages.

The callback route and the status query share this one code path, so a payment settles the same
way whichever answer arrives first, exactly once. The customer's and the staff's messages are
queued in the outbox in the same transaction as the settlement: a crash loses none, and a
duplicate callback queues none. The settlement decides what happened; who is told what is
:mod:`checkout.payments.settling.notices`, and the words :mod:`checkout.i18n.payments.messages`'.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from checkout.domain.records import (
    AuditKind,
    BodyStatus,
    Order,
    Payment,
    PaymentStatus,
    ReceivedBody,
    StaffChat,
)
from checkout.domain.result_codes import ResultCode
from checkout.domain.time import Clock
from checkout.payments.gateway import PaymentGateway, PaymentResult, PushFailed
from checkout.payments.ports import ReceiptDetails, Settlement
from checkout.payments.settling.callback_bodies import CallbackBodies
from checkout.payments.settling.late import settle_late_success
from checkout.payments.settling.notices import BatchReaders, SettlementNotices
from checkout.payments.settling.orders import record_paid_orders
from checkout.payments.settling.results import (
    ADOPTION_WINDOW,
    SettleOutcome,
    log_settled,
    reported_phone,
    result_from_json,
    result_to_json,
    settled_copy,
    settlement_for,
)
from checkout.payments.unit import (
    SettledOutcomeHook,
    SettlementListener,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)


class SettlementService:
    """Applies Daraja's results to payments, orders and the outbox.

    With ``confirm`` set (``MPESA_CONFIRM_WITH_QUERY``), a success callback counts only once
    an STK Push Query agrees: Safaricom does not sign callbacks, so a forged success for a
    real pending payment is never paid. ``notices``: who is told what (made here by default).
    """

    def __init__(
        self,
        units: UnitOfWorkFactory,
        *,
        clock: Clock,
        staff: StaffChat | None = None,
        confirm: PaymentGateway | None = None,
        listeners: Sequence[SettlementListener] = (),
        outcome_hook: SettledOutcomeHook | None = None,
        notices: SettlementNotices | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._confirm = confirm
        # Told of each settled payment in its transaction: platform events, metrics.
        self._listeners = tuple(listeners)
        # Adds to the customer's outcome (a plan's installment, the plan's news).
        self._outcome_hook = outcome_hook
        self._notices = notices or SettlementNotices(outcome_hook, clock=clock, staff=staff)
        # Callback bodies that could not be settled, and their replays.
        self.bodies = CallbackBodies(units, clock=clock, notices=self._notices)

    async def settle(
        self,
        result: PaymentResult,
        *,
        source: str,
        raw: dict[str, Any] | None = None,
        received: ReceivedBody | None = None,
    ) -> SettleOutcome:
        """Record ``result`` (from ``source``: "callback" or "query") and settle its payment.

        ``received`` is the callback's body as it came: it is kept in the same transaction.
        """
        if (
            self._confirm is not None
            and source == "callback"
            and result.result_code == ResultCode.PAID
        ):
            confirmed = await self._confirmed(result, raw)
            if confirmed is None:
                await self._keep_alone(received, SettleOutcome.UNCONFIRMED, result)
                return SettleOutcome.UNCONFIRMED
            if confirmed is not result:
                outcome = await self._forged(result, confirmed, raw)
                await self._keep_alone(received, outcome, result)
                return outcome
        async with self._units() as unit:
            outcome = await self.settle_in(unit, result, source=source, raw=raw)
            await self._keep(unit, received, outcome, result)
            await unit.commit()
        if outcome is SettleOutcome.UNKNOWN:
            outcome = await self._recheck_unknown(result, source, raw)
        return outcome

    async def settle_batch(
        self,
        items: Sequence[tuple[PaymentResult, str, dict[str, Any] | None]],
        received: Sequence[ReceivedBody | None] | None = None,
    ) -> list[SettleOutcome]:
        """Settle several results in one transaction (see :mod:`checkout.payments.batching`).

        The common case (a final answer for a pending payment) is settled set-wise: one read,
        one conditional update, one order update and one insert each for events and outbox.
        Anything else (no payment yet, already settled, a second answer for the same payment
        in the batch, a query that needs the callback's receipt) takes the one-by-one path in
        the same transaction. With confirmation on, each success is confirmed first.
        ``received`` (one per item, or None) are the callbacks' bodies, kept in the same
        transaction: one more insert per batch, not a commit per body.
        """
        bodies = list(received) if received is not None else [None] * len(items)
        if self._confirm is not None:
            return [
                await self.settle(result, source=s, raw=raw, received=body)
                for (result, s, raw), body in zip(items, bodies, strict=True)
            ]
        now = self._clock()
        outcomes: dict[int, SettleOutcome] = {}
        async with self._units() as unit:
            known = await unit.payments.by_checkout_request_ids(
                [result.checkout_request_id for result, _, _ in items]
            )
            fast: dict[int, tuple[int, Payment, Settlement, PaymentResult]] = {}
            slow: list[int] = []
            # A stable order of row updates keeps two processes' batches from deadlocking.
            for index in sorted(range(len(items)), key=lambda i: items[i][0].checkout_request_id):
                result, source, raw = items[index]
                payment = known.get(result.checkout_request_id)
                needs_receipt = result.result_code == ResultCode.PAID and not result.receipt_number
                if (
                    payment is None
                    or payment.status is not PaymentStatus.PENDING
                    or payment.id in fast
                    or needs_receipt
                ):
                    slow.append(index)
                    continue
                payload = {"raw": raw or {}, "result": result_to_json(result)}
                settlement = await self._record(unit, payment, result, source, payload, now)
                fast[payment.id] = (index, payment, settlement, result)
            settled = await unit.payments.settle_many(
                {payment_id: entry[2] for payment_id, entry in fast.items()}, now=now
            )
            orders = await record_paid_orders(unit, [fast[i] for i in sorted(settled)])
            copies = {
                payment_id: settled_copy(fast[payment_id][1], fast[payment_id][2], now)
                for payment_id in sorted(settled)
            }
            readers = await self._prepare(unit, list(copies.values()))
            for payment_id, (index, payment, settlement, result) in sorted(
                fast.items(), key=lambda item: item[1][0]
            ):
                if payment_id in settled:
                    order = orders.get(payment_id)
                    await self._queue_messages(unit, copies[payment_id], order, result, readers)
                    log_settled(payment, settlement.status, result.result_code)
                    outcomes[index] = SettleOutcome.SETTLED
                else:  # settled elsewhere since we read it
                    outcomes[index] = await self._already_settled(
                        unit, payment, settlement.status, result
                    )
            for index in slow:
                result, source, raw = items[index]
                outcomes[index] = await self.settle_in(unit, result, source=source, raw=raw)
            for index, body in enumerate(bodies):
                await self._keep(unit, body, outcomes[index], items[index][0])
            await unit.commit()
        for index, outcome in outcomes.items():
            if outcome is SettleOutcome.UNKNOWN:
                result, source, raw = items[index]
                outcomes[index] = await self._recheck_unknown(result, source, raw)
        return [outcomes[index] for index in range(len(items))]

    async def _prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> BatchReaders | None:
        """Let the outcome hook and the listeners look a batch's settled payments up at once
        (``payments`` as settled: their new status), before each is told of its own; what
        their staff notices read, read once for them all."""
        if not payments:
            return None
        if self._outcome_hook is not None:
            await self._outcome_hook.prepare(unit, payments)
        for listener in self._listeners:
            await listener.prepare(unit, payments)
        return await self._notices.readers(unit, payments)

    async def _keep(
        self,
        unit: UnitOfWork,
        received: ReceivedBody | None,
        outcome: SettleOutcome,
        result: PaymentResult,
    ) -> None:
        """Keep a callback's body with what settling it did (written when the unit commits)."""
        if received is not None:
            await unit.callback_bodies.keep(
                received,
                status=BodyStatus(outcome.value),
                checkout_request_id=result.checkout_request_id,
            )

    async def _keep_alone(
        self, received: ReceivedBody | None, outcome: SettleOutcome, result: PaymentResult
    ) -> None:
        """:meth:`_keep` in a transaction of its own (confirmation settles in several)."""
        if received is not None:
            async with self._units() as unit:
                await self._keep(unit, received, outcome, result)
                await unit.commit()

    async def _record(
        self,
        unit: UnitOfWork,
        payment: Payment,
        result: PaymentResult,
        source: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> Settlement:
        """Keep the answer in the audit trail; return the settlement it calls for."""
        await unit.audit.record(
            kind=AuditKind.settled_by(source),
            payload=payload,
            now=now,
            payment_id=payment.id,
            checkout_request_id=result.checkout_request_id,
        )
        return settlement_for(result, payment)

    async def _recheck_unknown(
        self, result: PaymentResult, source: str, raw: dict[str, Any] | None
    ) -> SettleOutcome:
        # The push's answer may have been stored since we looked: look again after our
        # commit (the payment service does the mirror image), so one of us settles it.
        async with self._units() as unit:
            if await unit.payments.by_checkout_request_id(result.checkout_request_id) is None:
                return SettleOutcome.UNKNOWN
            outcome = await self.settle_in(unit, result, source=source, raw=raw)
            await unit.commit()
        return outcome

    async def _confirmed(
        self, result: PaymentResult, raw: dict[str, Any] | None
    ) -> PaymentResult | None:
        """The result to settle with: the callback's if Daraja agrees, Daraja's if not.

        None when Daraja cannot say yet: the callback is kept and the reconciler settles the
        payment (with the callback's receipt) once a query gives a final answer.
        """
        assert self._confirm is not None
        try:
            answer = await self._confirm.stk_query(result.checkout_request_id)
        except PushFailed as failure:
            log.warning("could not confirm a success callback: %s", failure.problem.value)
            answer = None
        if answer is not None and answer.result is not None:
            return result if answer.result.result_code == ResultCode.PAID else answer.result
        async with self._units() as unit:
            await unit.audit.record(
                kind=AuditKind.CALLBACK_UNCONFIRMED,
                payload={"raw": raw or {}, "result": result_to_json(result)},
                now=self._clock(),
                checkout_request_id=result.checkout_request_id,
                note="success callback not yet confirmed by a query",
            )
            await unit.commit()
        return None

    async def _forged(
        self, claimed: PaymentResult, actual: PaymentResult, raw: dict[str, Any] | None
    ) -> SettleOutcome:
        """Daraja contradicts a success callback: settle by Daraja and alert the staff."""
        log.warning("success callback contradicted by Daraja (code %s)", actual.result_code)
        async with self._units() as unit:
            payment = await unit.payments.by_checkout_request_id(claimed.checkout_request_id)
            await unit.audit.record(
                kind=AuditKind.CALLBACK_CONTRADICTED,
                payload={"raw": raw or {}, "result": result_to_json(claimed)},
                now=self._clock(),
                payment_id=payment.id if payment else None,
                checkout_request_id=claimed.checkout_request_id,
                note=f"Daraja's query says result code {actual.result_code}",
            )
            if payment is not None:
                await self._notices.forged(unit, payment, actual.result_code)
            outcome = await self.settle_in(unit, actual, source="query")
            await unit.commit()
        return outcome

    async def alert_misconfigured(self, unit: UnitOfWork, code: str | None) -> None:
        """Tell the staff, once a day (Nairobi), that Daraja refuses our shortcode and passkey."""
        await self._notices.misconfigured(unit, code)

    async def settle_in(
        self,
        unit: UnitOfWork,
        result: PaymentResult,
        *,
        source: str,
        raw: dict[str, Any] | None = None,
    ) -> SettleOutcome:
        """Like :meth:`settle`, inside the caller's unit of work (the caller commits)."""
        now = self._clock()
        payment = await unit.payments.by_checkout_request_id(result.checkout_request_id)
        payload = {"raw": raw if raw is not None else {}, "result": result_to_json(result)}
        if payment is None and source == "callback":
            payment = await self._adopt(unit, result)
        if payment is None:
            # A callback can beat the push's own answer to us: keep it, and the payment
            # service settles from it as soon as it learns the CheckoutRequestID.
            await unit.audit.record(
                kind=AuditKind.unmatched(source),
                payload=payload,
                now=now,
                checkout_request_id=result.checkout_request_id,
                note="no payment with this CheckoutRequestID",
            )
            if source == "callback":
                # Usually the push's answer is a moment behind; reconciliation alerts the
                # staff about a success that stays unmatched, so this is no warning yet.
                log.info("callback for a CheckoutRequestID not known yet kept for its push")
            else:
                log.warning("%s for an unknown CheckoutRequestID recorded", source)
            return SettleOutcome.UNKNOWN
        if result.result_code == ResultCode.PAID and result.receipt_number is None:
            # A query confirms a payment but carries no receipt: take the one from the
            # callback that was waiting for this confirmation.
            result = await self._with_callback_details(unit, result)
        settlement = await self._record(unit, payment, result, source, payload, now)
        status = settlement.status
        if not await unit.payments.settle(payment.id, settlement, now=now):
            return await self._already_settled(unit, payment, status, result)
        order = None
        if status is PaymentStatus.PAID:
            order = await unit.orders.record_paid(payment.order_reference, payment.amount)
        settled = settled_copy(payment, settlement, now)
        await self._queue_messages(unit, settled, order, result)
        log_settled(payment, status, result.result_code)
        return SettleOutcome.SETTLED

    async def _adopt(self, unit: UnitOfWork, result: PaymentResult) -> Payment | None:
        """The payment a success callback belongs to when its push's answer was lost.

        A push that timed out has no CheckoutRequestID, yet the customer may have paid. A
        success callback carries the amount and (perhaps masked) phone: if exactly one such
        unanswered push fits, the callback is its answer.
        """
        if result.result_code != ResultCode.PAID or result.amount is None:
            return None
        since = self._clock() - ADOPTION_WINDOW
        # The repository matches the (masked) phone, so these all fit amount and phone.
        candidates = await unit.payments.unrequested(
            amount=result.amount, created_after=since, phone=reported_phone(result.phone)
        )
        if len(candidates) != 1:
            return None
        (payment,) = candidates
        await unit.payments.mark_requested(
            payment.id,
            merchant_request_id=result.merchant_request_id or "",
            checkout_request_id=result.checkout_request_id,
        )
        log.info("payment %s matched to a callback that came before its push's answer", payment.id)
        return await unit.payments.get(payment.id)

    async def _with_callback_details(
        self, unit: UnitOfWork, result: PaymentResult
    ) -> PaymentResult:
        stored = await unit.audit.latest(result.checkout_request_id, AuditKind.CALLBACK_UNCONFIRMED)
        if stored is None:
            return result
        callback = result_from_json(stored["result"])
        return replace(
            result,
            receipt_number=callback.receipt_number,
            amount=callback.amount,
            transaction_date=callback.transaction_date,
        )

    async def alert_unmatched(self, result: PaymentResult) -> None:
        """Tell the staff about a success nobody can match to a payment."""
        async with self._units() as unit:
            await self._notices.unmatched(unit, result)
            await unit.commit()

    async def expire(self, unit: UnitOfWork, payment: Payment, *, reason: str) -> bool:
        """Settle a payment nobody answered for as expired; False if it was settled already."""
        now = self._clock()
        settlement = Settlement(PaymentStatus.EXPIRED, None, reason)
        if not await unit.payments.settle(payment.id, settlement, now=now):
            return False
        await self._queue_messages(unit, settled_copy(payment, settlement, now), None, None)
        return True

    async def _already_settled(
        self, unit: UnitOfWork, payment: Payment, status: PaymentStatus, result: PaymentResult
    ) -> SettleOutcome:
        if result.result_code == ResultCode.PAID and result.receipt_number:
            details = ReceiptDetails(
                receipt_number=result.receipt_number,
                transaction_date=result.transaction_date,
                reported_amount=result.amount,
            )
            filled = await unit.payments.fill_in_receipt(payment.id, details, now=self._clock())
            if filled is not None:
                return await self._receipt_filled_in(unit, payment.id, result)
        current = await unit.payments.get(payment.id)
        assert current is not None
        # A success for a push given up on, of an order paid meanwhile: money paid twice.
        if late := await settle_late_success(unit, current, result, self._notices, self._clock()):
            return late
        if current.status is status or (
            current.status is PaymentStatus.EXPIRED and status is not PaymentStatus.PAID
        ):
            return SettleOutcome.DUPLICATE
        log.warning(
            "payment %s already %s; a later answer says %s",
            payment.id,
            current.status.value,
            status.value,
        )
        await self._notices.conflict(unit, current, status, result.receipt_number)
        return SettleOutcome.CONFLICT

    async def _receipt_filled_in(
        self, unit: UnitOfWork, payment_id: int, result: PaymentResult
    ) -> SettleOutcome:
        """Tell whoever needs it that a late callback brought a query-settled payment's receipt.

        The customer, told "Paid ... M-Pesa receipt to follow" when the query settled it,
        gets the receipt in a message of its own. A reported amount other than the one
        asked made the payment mismatched: it no longer counts towards its order, the
        customer is told it is being checked, and the staff are alerted with the receipt.
        """
        payment = await unit.payments.get(payment_id)
        assert payment is not None
        if payment.status is PaymentStatus.PAID:
            await self._notices.receipt(unit, payment)
            log.info("payment %s got its receipt from a late callback", payment.id)
            return SettleOutcome.RECEIPT
        log.warning(
            "payment %s settled by query; its late callback reports another amount", payment.id
        )
        # The query's success had credited the order; a mismatched amount pays nothing.
        await unit.orders.record_paid(payment.order_reference, -payment.amount)
        await self._notices.mismatched_late(unit, payment, result.amount)
        return SettleOutcome.RECEIPT

    async def _queue_messages(
        self,
        unit: UnitOfWork,
        payment: Payment,
        order: Order | None,
        result: PaymentResult | None,
        readers: BatchReaders | None = None,
    ) -> None:
        """The settled payment's messages, then its listeners, in the settling transaction."""
        reported = result.amount if result else None
        await self._notices.settled(unit, payment, order, reported, readers)
        for listener in self._listeners:
            await listener.payment_settled(unit, payment, order)
