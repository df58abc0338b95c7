"""The web checkout's service side: reads an order for its page and pays through the chat's service.

A payment from the page goes through :meth:`checkout.payments.start.PaymentService.start`, exactly
as a chat's "Pay" does: the same checks against the order, the same rule that a second press
while a push is in flight is answered with the one in flight (one push), the same push and
the same settlement. The page's customer is the web channel's "chat" of the order (keyed by
its reference). Presses for one order take turns in this process, as a chat's updates do.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakValueDictionary

from checkout.bnpl.ports import with_plans
from checkout.bnpl.records import Plan
from checkout.conversation.model import StartPayment
from checkout.domain.money import AmountError, parse_amount
from checkout.domain.outcomes import PaymentRefused, PushRefused, Refusal
from checkout.domain.phones import PhoneError, normalise_phone
from checkout.domain.records import Channel, Language, Order, Payment, PaymentStatus
from checkout.domain.references import parse_order_reference
from checkout.domain.time import Clock
from checkout.i18n.chat import amount_rule_text, phone_rule_text
from checkout.i18n.payments.messages import refusal_reply
from checkout.i18n.payments.refusals import refusal_text
from checkout.payments.other_way import (
    OtherWayOffer,
    PayTo,
    cancel_hold_until,
    failed_try,
    other_way_for,
)
from checkout.payments.start import PaymentService
from checkout.payments.unit import UnitOfWorkFactory
from checkout.platform.ports import OrderReads, OrderSnapshot
from web.plans import WebPlans
from web.ports import ReceiptTokens

RECEIPT_TOKEN_BYTES = 16  # 128 random bits
SHORT_TOKEN_LENGTH = 22  # the same 128 bits in base64url (secrets.token_urlsafe(16))
_HEX = frozenset("0123456789abcdef")
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_")


@dataclass(frozen=True, slots=True)
class OrderPage:
    """An order as its page shows it: the order, its latest payment, its latest paid one."""

    order: Order
    latest: Payment | None
    last_paid: Payment | None
    # After a failed try that calls for it: the paybill or till to pay from the phone's menu.
    other_way: OtherWayOffer | None = None
    # After two cancelled prompts in a row: no "Try again" until then.
    held_until: datetime | None = None
    # "Pay later" beside "Pay with M-Pesa": plans are on and the order may have one.
    pay_later: bool = False
    # The order's open plan (waiting for its deposit, or being paid), if plans are on.
    plan: Plan | None = None


@dataclass(frozen=True, slots=True)
class FieldErrors:
    """The chat's messages for what was typed wrong, by field (``amount``, ``phone``)."""

    amount: str | None = None
    phone: str | None = None
    form: str | None = None  # about the payment as a whole: a push limit held it back

    def __bool__(self) -> bool:
        return self.amount is not None or self.phone is not None or self.form is not None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt shows."""

    payment: Payment
    order: Order
    plan: Plan | None = None  # the plan the payment belongs to, if any


def receipt_token_shape(token: str) -> bool:
    """Whether ``token`` looks like a receipt token: 128 bits as 32 hex digits (the page's and
    chats' links) or as 22 base64url characters (the short ``/r/<token>`` links in SMS)."""
    if len(token) == RECEIPT_TOKEN_BYTES * 2:
        return all(c in _HEX for c in token)
    return len(token) == SHORT_TOKEN_LENGTH and all(c in _BASE64URL for c in token)


class PoolOrderReads:
    """Reads an order for its page through the units of work (PostgreSQL, or
    ``WEB_PAGE_READS=pool``), in one transaction."""

    def __init__(self, units: UnitOfWorkFactory) -> None:
        self._units = units

    async def __call__(self, reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        """See :class:`checkout.platform.ports.OrderReads`."""
        async with self._units() as unit:
            # One statement: the order and its payments as one snapshot, in one trip.
            found = await unit.order_book.order_with_payments(reference)
            if found is None:
                return None
            order, payments = found
            plan = None
            if with_plan and payments:
                plan = await with_plans(unit).plans.open_for_order(order.reference)
        return order, payments, plan


class WebCheckout:
    """Order pages, payments and receipts for the web adapter."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        payments: PaymentService,
        receipts: ReceiptTokens,
        *,
        clock: Clock,
        pay_to: PayTo | None = None,
        plans: WebPlans | None = None,
        reads: OrderReads | None = None,
    ) -> None:
        """``pay_to``: the paybill or till a customer whose tries failed is told about;
        ``plans``: "Pay later" through the chat's plan desk (None: plans are off);
        ``reads``: how pages read their order (default: through ``units``)."""
        self._units = units
        self._reads: OrderReads = reads or PoolOrderReads(units)
        self.plans = plans
        self._pay_to = pay_to
        self._payments = payments
        self._receipts = receipts
        self.clock = clock
        self._order_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    async def page(self, raw_reference: str) -> OrderPage | None:
        """The order's page, or None for a reference the business did not create."""
        reference = parse_order_reference(raw_reference)
        if reference is None:
            return None
        found = await self._reads(reference, with_plan=self.plans is not None)
        if found is None or not found[0].known:
            # Only orders the business made have a page: a reference a chat customer
            # typed is theirs alone.
            return None
        order, payments, plan = found
        later = self.plans.shown(order, plan) if self.plans is not None else False
        paid = [payment for payment in payments if payment.status is PaymentStatus.PAID]
        latest = payments[-1] if payments else None
        other_way = held_until = None
        if latest is not None and failed_try(latest) and plan is None:
            # What the chats add under a failed try: the other way, or an hour's pause. Not
            # with an open plan: its pushes are the plan's, neither paused nor paid otherwise
            # (the chats leave them to the plan's own messages too).
            if self._pay_to is not None:
                other_way = other_way_for(order, latest, payments, self._pay_to)
            held_until = cancel_hold_until(payments, self.clock())
        last_paid = paid[-1] if paid else None
        return OrderPage(
            order, latest, last_paid, other_way, held_until, pay_later=later, plan=plan
        )

    def turn(self, reference: str) -> asyncio.Lock:
        """The lock presses for one order take turns on in this process (a chat's updates do
        too): a second press finds the first one's push in flight."""
        return self._order_locks.setdefault(reference, asyncio.Lock())

    def check(
        self, language: Language, order: Order, amount_text: str, phone_text: str
    ) -> tuple[int, str] | FieldErrors:
        """The amount and normalised phone, or the chat's messages for what is wrong."""
        amount_error = phone_error = None
        amount = 0
        phone = ""
        try:
            amount = parse_amount(amount_text, order.balance)
        except AmountError as error:
            amount_error = amount_rule_text(language, error)
        try:
            phone = normalise_phone(phone_text)
        except PhoneError as error:
            phone_error = phone_rule_text(language, error)
        if amount_error is not None or phone_error is not None:
            return FieldErrors(amount_error, phone_error)
        return amount, phone

    def check_phone(self, language: Language, phone_text: str) -> str | FieldErrors:
        """The normalised phone, or the chat's message for what is wrong with it."""
        try:
            return normalise_phone(phone_text)
        except PhoneError as error:
            return FieldErrors(phone=phone_rule_text(language, error))

    async def pay(
        self, order: Order, amount: int, phone: str, language: Language, *, sender: str
    ) -> FieldErrors | None:
        """Start the payment through the payment service; what to say by a field, if anything.

        ``sender`` names who pressed (``web:<client address>``): the payment service's push
        limits count it as they count a Telegram user or a USSD caller, and a push they hold
        back is said above the button. Whatever else the service answers (the push sent, one
        already in flight, the order paid meanwhile, a push refused by Daraja) is stored, and
        the page reads it from the order's latest payment.
        """
        async with self.turn(order.reference):
            async with self._units() as unit:
                customer = await unit.customers.get_or_create(
                    Channel.WEB, order.reference, language=language, now=self.clock()
                )
                await unit.commit()
            started = await self._payments.start(
                customer,
                language,
                StartPayment(order.reference, amount, phone, order_known=True),
                sender=sender,
            )
        if isinstance(started, PushRefused):
            return FieldErrors(form=refusal_text(language, started))
        if isinstance(started, PaymentRefused) and started.reason is Refusal.ABOVE_BALANCE:
            # The balance shrank since the page was shown: say so by the amount field.
            return FieldErrors(amount=refusal_reply(language, started).text)
        return None

    async def receipt_token(self, payment: Payment) -> str:
        """The token that opens a paid payment's receipt, made on first use."""
        offered = secrets.token_hex(RECEIPT_TOKEN_BYTES)
        return await self._receipts.token_for(payment.id, offered, now=self.clock())

    async def receipt(self, token: str) -> Receipt | None:
        """The paid payment a token opens, with its order; None for any other token."""
        if not receipt_token_shape(token):
            return None
        payment_id = await self._receipts.payment_for(token)
        if payment_id is None:
            return None
        async with self._units() as unit:
            payment = await unit.payments.get(payment_id)
            if payment is None or payment.status is not PaymentStatus.PAID:
                return None
            order = await unit.orders.get(payment.order_reference)
            # A plan's payment: its receipt shows the plan's schedule and what is paid of it.
            plans = with_plans(unit).plans
            link = await plans.link_for(payment.id)
            plan = await plans.get(link.plan_id) if link is not None else None
        if order is None:
            return None
        return Receipt(payment, order, plan)
