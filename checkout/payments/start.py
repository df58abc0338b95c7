"""Starting payments, and telling customers about them (``/status``, ``/history``).

A payment row is stored (pending) and committed before the STK push is sent, so a callback
that arrives before the push call returns still finds it once its CheckoutRequestID is known.
A USSD session cannot wait for Daraja (and its phone cannot show a prompt while the session is
open), so :meth:`PaymentService.queue` stores the payment with a push request instead, which
:mod:`checkout.channels.ussd.deferred_pushes` sends once the session has ended.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.conversation.flow import retry_button
from checkout.conversation.model import Reply, StartPayment
from checkout.domain.money import format_number
from checkout.domain.phones import display_phone, mask_phone
from checkout.domain.ports import (
    Clock,
    NewPayment,
    PaymentGateway,
    PushAccepted,
    PushFailed,
    PushProblem,
    Settlement,
    UnitOfWork,
    UnitOfWorkFactory,
)
from checkout.domain.records import Channel, Customer, Language, Payment, PaymentStatus
from checkout.i18n import texts
from checkout.i18n.times import clock_time
from checkout.payments.limits import PushLimiter, PushRefused
from checkout.payments.settle import SettlementService, result_from_json

log = logging.getLogger(__name__)

# Daraja refuses a second prompt to a phone while one is open; a prompt lives about a minute.
PENDING_GUARD = timedelta(minutes=2)

PROBLEM_TEXT = {
    PushProblem.REFUSED: "push_refused",
    PushProblem.SUBSCRIBER_LOCKED: "push_subscriber_locked",
    PushProblem.BUSY: "push_busy",
    PushProblem.UNAVAILABLE: "push_unavailable",
    PushProblem.OUTCOME_UNKNOWN: "push_outcome_unknown",
    PushProblem.INVALID: "push_refused",
    PushProblem.MISCONFIGURED: "push_unavailable",
}


# Records what a payment is for (e.g. a plan's installment) in the transaction storing it.
PaymentLink = Callable[[UnitOfWork, Payment], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PaymentDefaults:
    """What every push carries besides the customer's choices."""

    description: str = "Order payment"  # Daraja's TransactionDesc: at most 13 characters


class PaymentService:
    """Starts STK pushes for conversations and reports payments back to customers."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        gateway: PaymentGateway,
        settlement: SettlementService,
        *,
        clock: Clock,
        defaults: PaymentDefaults | None = None,
        push_delay: timedelta = timedelta(0),
        on_queued: Callable[[], None] | None = None,
        limiter: PushLimiter | None = None,
    ) -> None:
        """``limiter`` holds back the pushes people ask for (see
        :mod:`checkout.payments.limits`)."""
        self._units = units
        self._gateway = gateway
        self._settlement = settlement
        self._clock = clock
        self._defaults = defaults or PaymentDefaults()
        # A queued push waits this long after the answer, so the handset has closed the
        # USSD dialog before the prompt arrives.
        self._push_delay = push_delay
        self._on_queued = on_queued
        self._limiter = limiter

    async def start(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        sender: str | None = None,
    ) -> list[Reply] | PushRefused:
        """Store a pending payment, send its push, and say what the customer should do.

        ``sender`` is who asked for the push (:func:`checkout.payments.limits.sender_of`): the
        push limits apply, and a push they hold back is returned as :class:`PushRefused`
        for the channel to put into words. Pushes the business schedules pass no sender.
        """
        prepared = await self._prepare(customer, language, request, sender=sender)
        if not isinstance(prepared, Payment):
            return prepared
        return await self._push(prepared)

    async def prepare(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        link: PaymentLink | None = None,
    ) -> Payment | list[Reply]:
        """Store a pending payment without pushing it (:meth:`send` pushes it).

        ``link`` runs in the transaction that stores the payment, so what it records about
        the payment exists before any callback for it can arrive. Returns the replies
        refusing the payment instead (paid already, more than the balance, in progress).
        """
        prepared = await self._prepare(customer, language, request, link=link)
        # Without a sender no limit applies, so no refusal can come back.
        assert not isinstance(prepared, PushRefused)
        return prepared

    async def queue(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        link: PaymentLink | None = None,
        sender: str | None = None,
    ) -> list[Reply] | PushRefused:
        """Store a pending payment and a request to push it after the USSD session has ended.

        Both are committed in one transaction before the answer, so a crash after the
        customer read "You will get an M-Pesa prompt" still sends the push. Daraja is not
        called here: the answer never waits for it. ``sender`` as for :meth:`start`.
        """
        prepared = await self._prepare(
            customer, language, request, push_after=self._push_delay, link=link, sender=sender
        )
        if not isinstance(prepared, Payment):
            return prepared
        if self._on_queued is not None:
            self._on_queued()
        log.info("push %s queued for %s", prepared.id, mask_phone(prepared.phone))
        return [Reply(texts.t(language, "ussd_push_queued"))]

    async def _prepare(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        push_after: timedelta | None = None,
        link: PaymentLink | None = None,
        sender: str | None = None,
    ) -> Payment | list[Reply] | PushRefused:
        """The stored pending payment, or the replies refusing it (paid, too much, in progress).

        With ``push_after`` its push request is stored with it, due that long from now;
        ``link`` records what the payment is for, in the same transaction. With ``sender``
        the push limits are checked first, and the push counted in that same transaction
        (a payment refused for another reason is rolled back, so it is not counted).
        """
        now = self._clock()
        async with self._units() as unit:
            if self._limiter is not None and sender is not None:
                refused = await self._limiter.admit(
                    unit, phone=request.phone, sender=sender, now=now
                )
                if refused is not None:
                    await unit.commit()  # only the staff alert, if this is the first
                    return refused
            order = await unit.orders.get(request.order_reference)
            if order is None:
                if request.order_known:
                    return [Reply(texts.t(language, "order_not_found"))]
                order = await unit.orders.create(
                    request.order_reference, request.amount, known=False
                )
            if order.is_fully_paid:
                # A typed reference paid in full is closed like a listed order: paying it
                # again must not raise its amount due.
                return [Reply(texts.t(language, "order_paid", order=order.reference))]
            if not order.known and request.amount > order.balance:
                # A reference the business did not create: what the customer pays is what
                # is due, so paying it again (or more) raises the amount due.
                order = await unit.orders.raise_amount_due(
                    order.reference, order.amount_paid + request.amount
                )
            if order.balance <= 0:
                return [Reply(texts.t(language, "order_paid", order=order.reference))]
            if request.amount > order.balance:
                return [
                    Reply(
                        texts.t(
                            language,
                            "amount_above_balance",
                            balance=format_number(order.balance),
                        )
                    )
                ]
            for pending in await unit.payments.pending_for_order(order.reference):
                if pending.phone == request.phone and now - pending.created_at < PENDING_GUARD:
                    return [Reply(texts.t(language, "already_paying"))]
            payment = await unit.payments.create_pending(
                NewPayment(
                    order_reference=order.reference,
                    customer_id=customer.id,
                    channel=customer.channel,
                    chat_key=customer.chat_key,
                    amount=request.amount,
                    phone=request.phone,
                    language=language,
                ),
                now=now,
            )
            if push_after is not None:
                await unit.pushes.add(payment.id, due_at=now + push_after, now=now)
            if link is not None:
                await link(unit, payment)
            await unit.commit()
        return payment

    async def _push(self, payment: Payment) -> list[Reply]:
        language = payment.language
        sent = await self.send(payment)
        if isinstance(sent, PushFailed):
            return await self._failed(payment, sent)
        return [
            Reply(
                texts.t(
                    language,
                    "push_sent",
                    amount=format_number(payment.amount),
                    order=payment.order_reference,
                    phone=display_phone(payment.phone),
                )
            )
        ]

    async def send(self, payment: Payment) -> PushAccepted | PushFailed:
        """Send a stored pending payment's push and record Daraja's ids; failures are returned."""
        try:
            accepted = await self._gateway.stk_push(
                phone=payment.phone,
                amount=payment.amount,
                reference=payment.order_reference,
                description=self._defaults.description,
            )
        except PushFailed as failure:
            return failure
        async with self._units() as unit:
            await unit.payments.mark_requested(
                payment.id,
                merchant_request_id=accepted.merchant_request_id,
                checkout_request_id=accepted.checkout_request_id,
            )
            await unit.commit()
        # Checked after our commit: the callback route re-checks after its own commit, so
        # whichever commits last sees the other's row and the payment is never left behind.
        async with self._units() as unit:
            await self._settle_early_callback(unit, accepted.checkout_request_id)
            await unit.commit()
        log.info("push %s sent to %s", payment.id, mask_phone(payment.phone))
        return accepted

    async def _settle_early_callback(self, unit: UnitOfWork, checkout_request_id: str) -> None:
        # The callback may have arrived while we were still waiting for the push's answer.
        early = await unit.events.latest(checkout_request_id, "callback_unmatched")
        if early is not None:
            await self._settlement.settle_in(
                unit, result_from_json(early["result"]), source="callback", raw=early.get("raw")
            )

    async def _failed(self, payment: Payment, failure: PushFailed) -> list[Reply]:
        language = payment.language
        log.warning("push %s failed: %s", payment.id, failure.problem.value)
        if failure.problem is not PushProblem.OUTCOME_UNKNOWN:
            # Daraja proved nothing reached the phone: this payment is over.
            async with self._units() as unit:
                await self.record_failure(unit, payment, failure, now=self._clock())
                await unit.commit()
        text = texts.t(language, PROBLEM_TEXT[failure.problem])
        if failure.problem is PushProblem.OUTCOME_UNKNOWN:
            return [Reply(text)]
        return [Reply(text, buttons=((retry_button(language),),))]

    async def record_failure(
        self, unit: UnitOfWork, payment: Payment, failure: PushFailed, *, now: datetime
    ) -> bool:
        """:func:`record_push_failure`, and the staff's alert when our configuration is at fault.

        Every push path (chat, USSD, installments) records its failures here, so a wrong
        passkey is reported to the staff once a day however many pushes meet it.
        """
        settled = await record_push_failure(unit, payment, failure, now=now)
        if failure.problem is PushProblem.MISCONFIGURED:
            await self._settlement.alert_misconfigured(unit, failure.code)
        return settled

    async def status(
        self, channel: Channel, chat_key: str, language: Language, *, ask_daraja: bool = True
    ) -> list[Reply]:
        """The latest payment's state, asking Daraja first if it is still pending.

        Without ``ask_daraja`` (USSD, which must answer at once) the stored state is told.
        """
        async with self._units() as unit:
            payment = await unit.payments.latest_for_chat(channel, chat_key)
        if payment is None:
            return [Reply(texts.t(language, "status_none"))]
        if ask_daraja and payment.status is PaymentStatus.PENDING and payment.checkout_request_id:
            try:
                answer = await self._gateway.stk_query(payment.checkout_request_id)
            except PushFailed as failure:
                log.info("status query for payment %s failed: %s", payment.id, failure.detail)
            else:
                if answer.result is not None:
                    await self._settlement.settle(answer.result, source="query")
                    async with self._units() as unit:
                        payment = await unit.payments.get(payment.id) or payment
        return [Reply(status_text(language, payment))]

    async def history(
        self, channel: Channel, chat_key: str, language: Language, limit: int
    ) -> list[Reply]:
        """The customer's last payments, newest first, with receipt numbers."""
        async with self._units() as unit:
            payments = await unit.payments.recent_for_chat(channel, chat_key, limit)
        if not payments:
            return [Reply(texts.t(language, "history_empty"))]
        lines = [texts.t(language, "history_header")]
        lines += [history_line(language, payment) for payment in payments]
        return [Reply("\n".join(lines))]

    async def order_paid(self, reference: str, language: Language) -> list[Reply]:
        """The order is paid in full: say so, with its last payment's amount and receipt."""
        async with self._units() as unit:
            payments = await unit.order_book.payments_for_order(reference)
        paid = [payment for payment in payments if payment.status is PaymentStatus.PAID]
        if not paid:
            return [Reply(texts.t(language, "order_paid", order=reference))]
        last = paid[-1]
        text = texts.t(
            language,
            "order_paid_receipt",
            order=reference,
            amount=format_number(last.amount),
            receipt=texts.receipt(language, last.receipt_number),
        )
        return [Reply(text)]


async def record_push_failure(
    unit: UnitOfWork, payment: Payment, failure: PushFailed, *, now: datetime
) -> bool:
    """Settle a payment whose push provably never reached the phone as failed; False if settled.

    The problem and Daraja's error code are kept in the audit trail.
    """
    settled = await unit.payments.settle(
        payment.id,
        Settlement(PaymentStatus.FAILED, None, f"push {failure.problem.value}"),
        now=now,
    )
    await unit.events.record(
        kind="push_failed",
        payload={"problem": failure.problem.value, "code": failure.code},
        now=now,
        payment_id=payment.id,
        note=failure.detail[:500],
    )
    return settled


def status_text(language: Language, payment: Payment) -> str:
    """One sentence on where a payment stands."""
    key = {
        PaymentStatus.PENDING: "status_pending",
        PaymentStatus.PAID: "status_paid",
    }.get(payment.status, "status_failed")
    return texts.t(
        language,
        key,
        amount=format_number(payment.amount),
        order=payment.order_reference,
        receipt=texts.receipt(language, payment.receipt_number),
        status=texts.t(language, f"payment_status_{payment.status.value}"),
    )


def history_line(language: Language, payment: Payment) -> str:
    """One payment in the history list."""
    local = payment.created_at.astimezone(texts.NAIROBI)
    when = f"{local:%d/%m} {clock_time(language, local.time())}"
    key = "history_line_paid" if payment.status is PaymentStatus.PAID else "history_line"
    return texts.t(
        language,
        key,
        date=when,
        order=payment.order_reference,
        amount=format_number(payment.amount),
        status=texts.t(language, f"payment_status_{payment.status.value}"),
        receipt=texts.receipt(language, payment.receipt_number),
    )
