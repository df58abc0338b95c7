"""Starting payments, and looking up a chat's payments (``/status``, ``/history``).

The service decides (a push sent, refused, failed: a
:data:`checkout.domain.outcomes.StartOutcome`; the payments asked about); the words are
:mod:`checkout.i18n.payments.messages`' (:func:`~checkout.i18n.payments.messages.start_replies`).

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

from checkout.domain.outcomes import (
    PaymentRefused,
    PushNotSent,
    PushProblem,
    PushRefused,
    PushStarted,
    Refusal,
    RefusalReason,
    StartOutcome,
)
from checkout.domain.phones import mask_phone
from checkout.domain.records import (
    AuditKind,
    Channel,
    Customer,
    Language,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from checkout.domain.time import Clock
from checkout.payments.gateway import PaymentGateway, PushAccepted, PushFailed
from checkout.payments.limits import PushLimiter
from checkout.payments.other_way import OtherWay, OtherWayOffer, cancel_hold_until
from checkout.payments.ports import NewPayment, Settlement
from checkout.payments.requests import StartPayment
from checkout.payments.settling.results import result_from_json
from checkout.payments.settling.settle import SettlementService
from checkout.payments.unit import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Daraja refuses a second prompt to a phone while one is open; a prompt lives about a minute.
PENDING_GUARD = timedelta(minutes=2)

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
        other_way: OtherWay | None = None,
    ) -> None:
        """``limiter`` holds back the pushes people ask for (see
        :mod:`checkout.payments.limits`); ``other_way`` tells where else to pay after a
        push that never reached the phone (:mod:`checkout.payments.other_way`)."""
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
        self._other_way = other_way

    async def start(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        sender: str | None = None,
    ) -> StartOutcome:
        """Store a pending payment and send its push: what came of it, for a presenter.

        ``sender`` is who asked for the push (:func:`checkout.payments.limits.sender_of`): the
        push limits apply, and a push they hold back is returned as :class:`PushRefused`.
        Pushes the business schedules pass no sender. A refusal for the order or the amount
        is a :class:`PaymentRefused` (nothing stored); a push Daraja did not take, a
        :class:`PushNotSent`; a push sent, a :class:`PushStarted`.
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
    ) -> Payment | PaymentRefused:
        """Store a pending payment without pushing it (:meth:`send` pushes it).

        ``link`` runs in the transaction that stores the payment, so what it records about
        the payment exists before any callback for it can arrive. Returns why the payment
        was refused instead (paid already, more than the balance, in progress).
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
    ) -> PushStarted | PaymentRefused | PushRefused:
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
        return PushStarted(prepared, queued=True)

    async def _prepare(
        self,
        customer: Customer,
        language: Language,
        request: StartPayment,
        *,
        push_after: timedelta | None = None,
        link: PaymentLink | None = None,
        sender: str | None = None,
    ) -> Payment | PaymentRefused | PushRefused:
        """The stored pending payment, or why it is refused (paid, too much, in progress).

        With ``push_after`` its push request is stored with it, due that long from now;
        ``link`` records what the payment is for, in the same transaction. With ``sender``
        the push limits are checked first, and the push counted in that same transaction
        (a payment refused for another reason is rolled back, so it is not counted).
        """
        now = self._clock()
        async with self._units() as unit:
            if sender is not None:
                held = await self._order_held(unit, request.order_reference, now)
                if held is not None:
                    return held
            if self._limiter is not None and sender is not None:
                refused = await self._limiter.admit(
                    unit, phone=request.phone, sender=sender, now=now
                )
                if refused is not None:
                    await unit.commit()  # only the staff alert, if this is the first
                    return refused
            # Locked: the platform cannot cancel or change the order while this payment starts.
            order = await unit.orders.hold(request.order_reference)
            if order is None:
                if request.order_known:
                    return PaymentRefused(Refusal.ORDER_NOT_FOUND)
                order = await unit.orders.create(
                    request.order_reference, request.amount, known=False
                )
            if order.status is OrderStatus.REFUNDED:
                # Everything paid went back (a cancelled order): paying it again would
                # charge the customer for an order the business gave up.
                return PaymentRefused(Refusal.ORDER_REFUNDED, order.reference)
            if order.status is OrderStatus.CANCELLED:
                # The business cancelled it through the orders API: nothing is owed any more.
                return PaymentRefused(Refusal.ORDER_CANCELLED, order.reference)
            if order.is_fully_paid:
                # A typed reference paid in full is closed like a listed order: paying it
                # again must not raise its amount due.
                return _paid(order.reference)
            if not order.known and request.amount > order.balance:
                # A reference the business did not create: what the customer pays is what
                # is due, so paying it again (or more) raises the amount due.
                order = await unit.orders.raise_amount_due(
                    order.reference, order.amount_paid + request.amount
                )
            if order.balance <= 0:
                return _paid(order.reference)
            if request.amount > order.balance:
                return PaymentRefused(Refusal.ABOVE_BALANCE, order.reference, order.balance)
            for pending in await unit.payments.pending_for_order(order.reference):
                if pending.phone == request.phone and now - pending.created_at < PENDING_GUARD:
                    return PaymentRefused(Refusal.ALREADY_PAYING, order.reference)
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

    async def _order_held(
        self, unit: UnitOfWork, reference: str, now: datetime
    ) -> PushRefused | None:
        """The refusal of a push for an order whose last two prompts were cancelled (the hour
        after the second), whichever number or chat asks; None when the order is not held.

        The pause is the order's, not only the phone's: otherwise "Try again" after choosing
        another number, or the order paid from another chat, would prompt again at once.
        """
        history = await unit.order_book.payments_for_order(reference)
        until = cancel_hold_until(history, now)
        if until is None:
            return None
        order = await unit.orders.get(reference)
        offer = None
        if self._other_way is not None and order is not None and order.balance > 0:
            offer = OtherWayOffer(order.reference, order.balance, self._other_way.pay_to)
        log.info("push for order %s held back until %s", reference, until.isoformat())
        return PushRefused(
            RefusalReason.ORDER_PAUSED, until, now, order_reference=reference, offer=offer
        )

    async def _push(self, payment: Payment) -> PushStarted | PushNotSent:
        sent = await self.send(payment)
        if isinstance(sent, PushFailed):
            return await self._failed(payment, sent)
        return PushStarted(payment)

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
            in_turn = unit.writes_in_turn
            await unit.payments.mark_requested(
                payment.id,
                merchant_request_id=accepted.merchant_request_id,
                checkout_request_id=accepted.checkout_request_id,
            )
            if in_turn:
                # One writer at a time: a callback's "unmatched" row committed before this
                # write is seen below, and one committed after it comes after our commit,
                # so the callback route's re-check sees our ids. One transaction does.
                await self._settle_early_callback(unit, accepted.checkout_request_id)
            await unit.commit()
        if not in_turn:
            # Checked after our commit: the callback route re-checks after its own commit,
            # so whichever commits last sees the other's row and the payment is never left
            # behind (PostgreSQL: a read in our transaction could miss a callback committed
            # after it whose re-check also ran before our commit).
            async with self._units() as unit:
                await self._settle_early_callback(unit, accepted.checkout_request_id)
                await unit.commit()
        log.info("push %s sent to %s", payment.id, mask_phone(payment.phone))
        return accepted

    async def _settle_early_callback(self, unit: UnitOfWork, checkout_request_id: str) -> None:
        # The callback may have arrived while we were still waiting for the push's answer.
        early = await unit.audit.latest(checkout_request_id, AuditKind.CALLBACK_UNMATCHED)
        if early is not None:
            await self._settlement.settle_in(
                unit, result_from_json(early["result"]), source="callback", raw=early.get("raw")
            )

    async def _failed(self, payment: Payment, failure: PushFailed) -> PushNotSent:
        log.warning("push %s failed: %s", payment.id, failure.problem.value)
        offer = None
        if failure.problem is not PushProblem.OUTCOME_UNKNOWN:
            # Daraja proved nothing reached the phone: this payment is over.
            async with self._units() as unit:
                if await self.record_failure(unit, payment, failure, now=self._clock()):
                    offer = await self.other_way_offer(unit, payment)
                await unit.commit()
        return PushNotSent(payment, failure.problem, offer)

    async def other_way_offer(self, unit: UnitOfWork, payment: Payment) -> OtherWayOffer | None:
        """Where else to pay after ``payment``'s push failed, if due (and recorded as told)."""
        if self._other_way is None:
            return None
        return await self._other_way.push_failed_offer(unit, payment)

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
        self, channel: Channel, chat_key: str, *, ask_daraja: bool = True
    ) -> Payment | None:
        """The chat's latest payment (None: it has none), asking Daraja first if it is pending.

        Without ``ask_daraja`` (USSD, which must answer at once) the stored state is told.
        """
        async with self._units() as unit:
            payment = await unit.payments.latest_for_chat(channel, chat_key)
        if payment is None:
            return None
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
        return payment

    async def history(self, channel: Channel, chat_key: str, limit: int) -> list[Payment]:
        """The chat's last ``limit`` payments, newest first."""
        async with self._units() as unit:
            return list(await unit.payments.recent_for_chat(channel, chat_key, limit))

    async def last_paid(self, reference: str) -> Payment | None:
        """The order's last paid payment (its amount and receipt), or None if none was paid."""
        async with self._units() as unit:
            payments = await unit.order_book.payments_for_order(reference)
        paid = [payment for payment in payments if payment.status is PaymentStatus.PAID]
        return paid[-1] if paid else None


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
    await unit.audit.record(
        kind=AuditKind.PUSH_FAILED,
        payload={"problem": failure.problem.value, "code": failure.code},
        now=now,
        payment_id=payment.id,
        note=failure.detail[:500],
    )
    return settled


def _paid(reference: str) -> PaymentRefused:
    return PaymentRefused(Refusal.ORDER_PAID, reference)
