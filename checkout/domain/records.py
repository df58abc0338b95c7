"""Plain records the checkout core works with: orders, payments, customers, outbox messages.

Storage maps its rows to these frozen dataclasses, so the core never sees SQLAlchemy objects.
Money is whole Kenyan shillings (``int``); times are timezone-aware.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Literal

Language = Literal["en", "sw"]
LANGUAGES: tuple[Language, ...] = ("en", "sw")


class Channel(StrEnum):
    """Where a conversation happens."""

    TELEGRAM = "telegram"
    USSD = "ussd"
    DEMO = "demo"
    WHATSAPP = "whatsapp"  # the WhatsApp Business Cloud API; the chat key is the wa_id
    EVENTS = "events"  # signed event webhooks to the business's platform (one "chat" per URL)
    LOG = "log"  # staff notices written to the service's log when Telegram is off
    WEB = "web"  # the payment link page (one "chat" per order reference)


class OrderStatus(StrEnum):
    """An order's state, derived from what has been paid against it."""

    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    REFUNDED = "refunded"  # everything paid on it went back (issue 15)
    CANCELLED = "cancelled"  # the business cancelled it before any money moved (orders API)


class PaymentStatus(StrEnum):
    """A payment's life: pending until a callback or a query settles it exactly once."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    MISMATCHED = "mismatched"

    @property
    def is_final(self) -> bool:
        """Whether the payment has been settled."""
        return self is not PaymentStatus.PENDING


class PaymentMethod(StrEnum):
    """How the money of a payment came: an STK push Lipa sent, or paid to the till directly."""

    STK = "stk"
    TILL = "till"  # C2B: paid to the paybill or till outside the chat, credited by Lipa


@dataclass(frozen=True, slots=True)
class Order:
    """What a customer owes for one order."""

    reference: str
    amount_due: int
    amount_paid: int
    status: OrderStatus
    known: bool = True
    description: str | None = None
    customer_phone: str | None = None  # normalised; given by staff or the platform, if at all

    @property
    def balance(self) -> int:
        """What is still to pay, never negative."""
        return max(self.amount_due - self.amount_paid, 0)

    @property
    def is_fully_paid(self) -> bool:
        """Whether something was paid and nothing is left to pay (whether listed or typed)."""
        return self.amount_paid > 0 and self.balance <= 0


@dataclass(frozen=True, slots=True)
class Customer:
    """A person who pays, on one channel and chat."""

    id: int
    channel: Channel
    chat_key: str
    language: Language
    phone: str | None = None
    telegram_user_id: int | None = None
    name: str | None = None  # as Telegram or M-Pesa gave it (see person_name): staff only


# The longest customer name kept (customers.name); a longer one is cut, not refused.
NAME_LIMIT: Final = 64


def person_name(given: str | None) -> str | None:
    """A name Telegram or M-Pesa gave, fit to store and show: None when nothing is left.

    Names are user data: control and format characters (newlines, bidirectional overrides,
    zero-width joiners) are dropped, runs of spaces become one, and the result is cut to
    :data:`NAME_LIMIT` characters. A name M-Pesa masked (``J*** D***``) is no name.
    """
    if not given:
        return None
    kept = "".join(
        " " if char.isspace() else char
        for char in given
        if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    cleaned = " ".join(kept.split())[:NAME_LIMIT].strip()
    if not cleaned or _MASKED_NAME.search(cleaned):
        return None
    return cleaned


# M-Pesa's masked names: a letter, then stars ("J*** D***").
_MASKED_NAME: Final = re.compile(r"\w\*{2,}")


@dataclass(frozen=True, slots=True)
class NewPayment:
    """What is known about a payment before its STK push is sent: which order, whose chat,
    how much, and which number is asked for the PIN."""

    order_reference: str
    customer_id: int | None
    channel: Channel
    chat_key: str
    amount: int
    phone: str
    language: Language

    def pending(self, payment_id: int, created_at: datetime) -> Payment:
        """The payment stored for it as ``payment_id`` at ``created_at``: pending, nothing
        asked of Daraja yet (what storage's ``create_pending`` returns)."""
        known = {name: getattr(self, name) for name in _NEW_FIELDS}
        return Payment(**known, id=payment_id, status=PaymentStatus.PENDING, created_at=created_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment(NewPayment):
    """One STK push and what became of it: a :class:`NewPayment` once stored, with its id,
    status and Daraja's answers.

    Its own fields and ``language`` are keyword-only (they follow the new payment's, which
    may still be given by position); ``language`` defaults to English, as it always has.
    """

    language: Language = "en"
    id: int
    status: PaymentStatus
    created_at: datetime
    merchant_request_id: str | None = None
    checkout_request_id: str | None = None
    result_code: int | None = None
    result_description: str | None = None
    receipt_number: str | None = None
    settled_at: datetime | None = None
    check_attempts: int = 0
    transaction_date: datetime | None = None  # when M-Pesa says the money moved
    reported_amount: int | None = None  # the amount M-Pesa reported with the receipt
    result_code_text: str | None = None  # Daraja's code when it is not a number
    method: PaymentMethod = PaymentMethod.STK


_NEW_FIELDS: Final = tuple(item.name for item in fields(NewPayment))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to deliver to a chat, written in the same transaction as its cause."""

    id: int
    channel: Channel
    chat_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    dedupe_key: str | None = None


class AuditKind(StrEnum):
    """What one row of the payment audit trail records (kept in ``payment_events.kind``)."""

    CALLBACK = "callback"  # a callback settled (or was recorded against) a payment
    QUERY = "query"  # an STK Push Query answer settled a payment
    CALLBACK_UNMATCHED = "callback_unmatched"  # a callback for no known CheckoutRequestID
    QUERY_UNMATCHED = "query_unmatched"  # a query answer for no known CheckoutRequestID
    CALLBACK_UNCONFIRMED = "callback_unconfirmed"  # a success callback Daraja could not confirm
    CALLBACK_CONTRADICTED = "callback_contradicted"  # a success callback Daraja's query denied
    PUSH_FAILED = "push_failed"  # Daraja refused the push, or did not answer it
    # Refunds of a paid payment (issue 15): asked, decided, sent, and how they ended.
    REFUND_REQUESTED = "refund_requested"
    REFUND_APPROVED = "refund_approved"
    REFUND_REJECTED = "refund_rejected"
    REFUND_EXPIRED = "refund_expired"
    REFUND_SENT = "refund_sent"
    REFUND_COMPLETED = "refund_completed"
    REFUND_FAILED = "refund_failed"

    @classmethod
    def settled_by(cls, source: str) -> AuditKind:
        """The kind for a result from ``source`` ("callback" or "query") that settled."""
        return cls(source)

    @classmethod
    def unmatched(cls, source: str) -> AuditKind:
        """The kind for a result from ``source`` whose CheckoutRequestID no payment has."""
        return cls(f"{source}_unmatched")


class BodyStatus(StrEnum):
    """What became of a kept callback body (a settle outcome, or why it was not settled)."""

    SETTLED = "settled"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    UNKNOWN = "unknown"  # no payment with its CheckoutRequestID yet: kept for its push
    UNCONFIRMED = "unconfirmed"
    RECEIPT = "receipt"  # a late callback filled in the receipt of a payment settled by query
    OVERPAID = "overpaid"  # a late success for a push given up on, of an order paid meanwhile
    REFUSED = "refused"  # could not be parsed: waits for a fix and a replay
    FAILED = "failed"  # parsed, but settling it failed: waits for a fix and a replay
    NOTED = "noted"  # kept for the record, nothing to settle (C2B validation, Pull notices)

    @property
    def needs_replay(self) -> bool:
        """Whether the body was never settled (refused or failed)."""
        return self in (BodyStatus.REFUSED, BodyStatus.FAILED)


@dataclass(frozen=True, slots=True)
class ReceivedBody:
    """A callback body exactly as it reached the route, with where and when it came from."""

    body: bytes
    source_address: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class KeptBody:
    """A stored callback body and what became of it."""

    id: int
    received: ReceivedBody
    status: BodyStatus
    note: str | None = None
    checkout_request_id: str | None = None
    replayed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffChat:
    """Where staff notifications go, in which language, and whether they show whole phones.

    ``full_phones`` is true only for a staff user's private chat with the bot when
    STAFF_SEE_FULL_PHONES is on: there the customer's whole number (and name, when Telegram or
    M-Pesa gave one) helps to call them back; a group, the log and every log line stay masked.
    ``user_id`` is the staff user whose private chat this is (None for a group or the log):
    notices to it follow that user's own language (``checkout.payments.staff_reader``), and
    ``language`` is only the default for a user who never chose.
    """

    chat_key: str
    channel: Channel = Channel.TELEGRAM
    language: Language = "en"
    full_phones: bool = False
    user_id: int | None = None


# M-Pesa's word for a transaction that went through.
COMPLETED: Final = "completed"


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    """M-Pesa's answer about one transaction code, as Lipa needs it.

    ``found`` is false when M-Pesa did not answer with the transaction (an unknown code, or
    one this shortcode may not see); the rest is then mostly None. ``credit_shortcode`` is
    the shortcode (or till) the money went to, ``payer_name`` as M-Pesa gives it.
    """

    found: bool
    receipt: str | None = None
    amount: int | None = None
    status: str | None = None  # "Completed", ...
    payer_name: str | None = None
    debit_phone: str | None = None  # as given: full, masked or absent
    credit_shortcode: str | None = None
    credit_name: str | None = None
    finalised_at: datetime | None = None
    result_code: int | None = None
    result_description: str = ""

    @property
    def completed(self) -> bool:
        """Whether M-Pesa says the money moved."""
        return self.found and (self.status or "").strip().lower() == COMPLETED
