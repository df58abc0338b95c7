"""What payments need from storage, as ``Protocol``s: orders, payments, their events and kept
callback bodies, customers, the order book, deferred pushes and push limits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from checkout.domain.records import (
    AuditKind,
    BodyStatus,
    Channel,
    Customer,
    KeptBody,
    Language,
    Order,
    Payment,
    PaymentStatus,
    ReceivedBody,
)

# A new payment is a domain record now (a stored :class:`Payment` is one); the payments' ports
# still offer it where their callers have always imported it from.
from checkout.domain.records import NewPayment as NewPayment
from checkout.domain.summaries import PaymentCursor, PaymentPage


class OrderRepository(Protocol):
    """Orders by reference."""

    async def get(self, reference: str) -> Order | None:
        """The order with this reference, or None."""
        ...

    async def hold(self, reference: str) -> Order | None:
        """:meth:`get`, and its row locked until the transaction ends (PostgreSQL), so the
        platform cannot cancel or change it while a payment of it is being started."""
        ...

    async def create(
        self, reference: str, amount_due: int, *, known: bool, description: str | None = None
    ) -> Order:
        """Create an open order; raises if the reference exists."""
        ...

    async def raise_amount_due(self, reference: str, amount_due: int) -> Order:
        """Set a larger amount due (for orders made from references the business did not know)."""
        ...

    async def record_paid(self, reference: str, amount: int) -> Order:
        """Add ``amount`` to what has been paid and update the status, atomically."""
        ...

    async def record_paid_many(self, amounts: dict[str, int]) -> dict[str, Order]:
        """:meth:`record_paid` for several orders in one statement; the orders after it."""
        ...


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a payment ended, from a callback or a status query."""

    status: PaymentStatus
    result_code: int | None
    result_description: str
    receipt_number: str | None = None
    transaction_date: datetime | None = None
    reported_amount: int | None = None
    # Daraja's code when it is not a number (SFC_IC0003); result_code is None then.
    result_code_text: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptDetails:
    """What a success callback reports about the money that moved."""

    receipt_number: str
    transaction_date: datetime | None
    reported_amount: int | None


class PaymentRepository(Protocol):
    """Payments: one row per STK push."""

    async def create_pending(self, new: NewPayment, *, now: datetime) -> Payment:
        """Store a pending payment before its push is sent."""
        ...

    async def get(self, payment_id: int) -> Payment | None:
        """The payment with this id, or None."""
        ...

    async def by_checkout_request_id(self, checkout_request_id: str) -> Payment | None:
        """The payment Daraja knows by this CheckoutRequestID, or None."""
        ...

    async def mark_requested(
        self, payment_id: int, *, merchant_request_id: str, checkout_request_id: str
    ) -> None:
        """Record the ids Daraja gave the accepted push."""
        ...

    async def settle(self, payment_id: int, settlement: Settlement, *, now: datetime) -> bool:
        """Settle a pending payment; False (and no change) if it was already settled."""
        ...

    async def settle_many(self, settlements: dict[int, Settlement], *, now: datetime) -> set[int]:
        """Settle several pending payments in one statement; the ids that were pending."""
        ...

    async def settle_late_success(
        self, payment_id: int, settlement: Settlement, *, now: datetime
    ) -> bool:
        """Make an expired or failed payment paid: a late success proved its money arrived.

        One conditional UPDATE (expired or failed, no receipt yet) is the claim, so a second
        late answer or another process finds nothing to claim and returns False.
        """
        ...

    async def fill_in_receipt(
        self, payment_id: int, details: ReceiptDetails, *, now: datetime
    ) -> PaymentStatus | None:
        """Give a paid payment without a receipt the receipt a later callback reports.

        One conditional UPDATE claims it (paid, no receipt yet), so of two callbacks or two
        processes only one fills it in; a reported amount other than the one asked makes the
        payment ``mismatched``. The payment's status after it, or None if it was not claimed.
        """
        ...

    async def by_checkout_request_ids(
        self, checkout_request_ids: Sequence[str]
    ) -> dict[str, Payment]:
        """The payments Daraja knows by these CheckoutRequestIDs, by id."""
        ...

    async def latest_for_chat(self, channel: Channel, chat_key: str) -> Payment | None:
        """The newest payment started from this chat."""
        ...

    async def recent_for_chat(
        self, channel: Channel, chat_key: str, limit: int
    ) -> Sequence[Payment]:
        """The newest payments started from this chat, newest first."""
        ...

    async def pending_for_order(self, order_reference: str) -> Sequence[Payment]:
        """Payments for this order still waiting for an outcome."""
        ...

    async def claim_for_check(
        self, *, now: datetime, created_before: datetime, limit: int, lease_seconds: float
    ) -> Sequence[Payment]:
        """Claim pending payments pushed before ``created_before`` whose check is due.

        The claim moves their next check past the lease, so another process skips them.
        """
        ...

    async def unrequested(
        self, *, amount: int, created_after: datetime, phone: str | None
    ) -> Sequence[Payment]:
        """Pending payments of ``amount`` whose push got no answer (no CheckoutRequestID).

        ``phone`` (digits, ``*`` standing for any one digit as in Daraja's masked numbers)
        narrows them to that phone; ``None`` leaves any phone.
        """
        ...

    async def schedule_check(self, payment_id: int, *, at: datetime) -> None:
        """Ask about a pending payment again at ``at``."""
        ...


class AuditRepository(Protocol):
    """The payment audit trail: every raw callback and query answer, and what became of it."""

    async def record(
        self,
        *,
        kind: AuditKind,
        payload: dict[str, Any],
        now: datetime,
        payment_id: int | None = None,
        checkout_request_id: str | None = None,
        note: str | None = None,
    ) -> None:
        """Append one audit entry."""
        ...

    async def latest(self, checkout_request_id: str, kind: AuditKind) -> dict[str, Any] | None:
        """The payload of the latest entry of ``kind`` for this CheckoutRequestID, if any."""
        ...

    async def unmatched_callbacks(
        self, *, received_after: datetime, received_before: datetime, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Payloads of callbacks in the window whose CheckoutRequestID no payment has."""
        ...


class CallbackBodyRepository(Protocol):
    """Every callback body the route received, raw, and what became of it."""

    async def keep(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> None:
        """Store a body with the unit's other writes (one statement for all, at commit)."""
        ...

    async def add(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> int:
        """Store a body now; its id."""
        ...

    async def get(self, body_id: int) -> KeptBody | None:
        """The body with this id, or None."""
        ...

    async def recent(self, *, limit: int, needing_replay: bool = False) -> Sequence[KeptBody]:
        """The newest bodies first (only refused and failed ones with ``needing_replay``)."""
        ...

    async def mark(
        self,
        body_id: int,
        *,
        status: BodyStatus,
        note: str | None,
        checkout_request_id: str | None,
        now: datetime,
    ) -> None:
        """Record what replaying the body did."""
        ...


class CustomerRepository(Protocol):
    """Customers per channel and chat."""

    async def get_or_create(
        self,
        channel: Channel,
        chat_key: str,
        *,
        language: Language,
        now: datetime,
        telegram_user_id: int | None = None,
        phone: str | None = None,
        name: str | None = None,
    ) -> Customer:
        """The customer of this chat, created on first contact; ``name`` (Telegram's first
        name) is stored, replacing a different one."""
        ...

    async def find(self, channel: Channel, chat_key: str) -> Customer | None:
        """The customer of this chat, or None (nothing is created)."""
        ...

    async def set_name(self, customer_id: int, name: str, *, now: datetime) -> None:
        """Remember the name Telegram or M-Pesa gave (cleaned with ``person_name``)."""
        ...

    async def names(self, customer_ids: Collection[int]) -> Mapping[int, str]:
        """The stored names of these customers (those without one left out)."""
        ...

    async def set_language(self, customer_id: int, language: Language, *, now: datetime) -> None:
        """Remember the customer's language."""
        ...

    async def set_phone(self, customer_id: int, phone: str, *, now: datetime) -> None:
        """Remember the customer's paying phone."""
        ...

    async def with_phone(self, channel: Channel, phone: str) -> Sequence[Customer]:
        """The customers on ``channel`` whose remembered phone is ``phone`` (normalised)."""
        ...

    async def preload_phones(self, channel: Channel, phones: Collection[str]) -> None:
        """Learn in one lookup which of these phones no customer on ``channel`` has.

        For the rest of the unit, :meth:`with_phone` answers those without asking the
        database (until a customer is written).
        """
        ...


class OrderBookRepository(Protocol):
    """Orders and payments as staff and the business's platform create and read them."""

    async def create_if_absent(
        self,
        reference: str,
        amount_due: int,
        *,
        description: str | None,
        customer_phone: str | None,
        now: datetime,
    ) -> Order | None:
        """Create an open, known order; None (and no change) if the reference is taken."""
        ...

    async def payments_for_order(self, reference: str) -> Sequence[Payment]:
        """Every payment made against this order, oldest first."""
        ...

    async def order_with_payments(self, reference: str) -> tuple[Order, Sequence[Payment]] | None:
        """The order with this reference and every payment made against it (oldest first),
        read together in one statement; None if there is no such order."""
        ...

    async def settled_page(
        self, *, since: datetime, after: PaymentCursor | None, limit: int
    ) -> PaymentPage:
        """Payments settled at or after ``since`` (past ``after``), in settle order."""
        ...


class PushOutcome(StrEnum):
    """How a queued push ended."""

    SENT = "sent"  # Daraja accepted it: the prompt is on the phone
    FAILED = "failed"  # Daraja proved nothing reached the phone
    UNKNOWN = "unknown"  # it timed out: it may or may not have reached the phone
    INTERRUPTED = "interrupted"  # its sender stopped mid-push; never sent again
    LATE = "late"  # not sent in time; the customer is told to try again
    SKIPPED = "skipped"  # its payment was no longer pending


@dataclass(frozen=True, slots=True)
class QueuedPush:
    """A push waiting to be sent after its USSD session has ended."""

    id: int
    payment_id: int
    attempts: int
    created_at: datetime


class PushRequestRepository(Protocol):
    """Pushes sent after their USSD session has ended, each at most once."""

    async def add(self, payment_id: int, *, due_at: datetime, now: datetime) -> None:
        """Queue the push of a pending payment, due at ``due_at``."""
        ...

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[QueuedPush]:
        """Claim due pushes for ``lease_seconds``; no other sender takes them meanwhile."""
        ...

    async def finish_interrupted(self, *, now: datetime) -> Sequence[QueuedPush]:
        """Finish, as interrupted, the pushes whose sender's lease ran out mid-push."""
        ...

    async def finish(
        self, push_id: int, *, outcome: PushOutcome, now: datetime, error: str | None = None
    ) -> None:
        """Record how a claimed push ended."""
        ...

    async def retry_later(self, push_id: int, *, at: datetime, error: str) -> None:
        """Release a claimed push that provably did not go out, to try again at ``at``."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest unfinished push is due (or its claim runs out), if any."""
        ...


@dataclass(frozen=True, slots=True)
class SettledOutcome:
    """A settled payment to a phone: its Daraja result code (None if none) and when."""

    result_code: int | None
    settled_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryAsked:
    """Which history the push limits weigh: the asks to ``phone`` after ``phone_since`` (the
    latest ``phone_limit``), by ``sender`` after ``sender_since`` (``sender_limit``), and the
    phone's last ``outcomes`` settled payments."""

    phone: str
    sender: str
    phone_since: datetime
    phone_limit: int
    sender_since: datetime
    sender_limit: int
    outcomes: int


@dataclass(frozen=True, slots=True)
class PushHistory:
    """What the push limits weigh, read at once (:meth:`PushLimitRepository.history`).

    ``to_phone`` and ``by_sender``: when the latest asks in each window were made, newest
    first; ``outcomes``: the phone's last settled payments, newest first."""

    to_phone: Sequence[datetime]
    by_sender: Sequence[datetime]
    outcomes: Sequence[SettledOutcome]


class PushLimitRepository(Protocol):
    """The pushes people asked for, counted per phone and per sender (see
    checkout.payments.limits)."""

    async def hold(self, phone: str, sender: str) -> None:
        """Until the transaction ends, keep others from admitting pushes for these two."""
        ...

    async def recent_for_phone(
        self, phone: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        """When the latest (at most ``limit``) pushes to ``phone`` after ``since`` were asked."""
        ...

    async def recent_for_sender(
        self, sender: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        """When the latest (at most ``limit``) pushes ``sender`` asked for after ``since`` were."""
        ...

    async def latest_outcomes(self, phone: str, *, count: int) -> Sequence[SettledOutcome]:
        """The last ``count`` settled payments to ``phone`` (any channel), newest first."""
        ...

    async def history(self, asked: HistoryAsked) -> PushHistory:
        """:meth:`recent_for_phone`, :meth:`recent_for_sender` and :meth:`latest_outcomes`
        at once (one statement on SQL databases)."""
        ...

    async def record(self, phone: str, sender: str, *, now: datetime) -> None:
        """Count one push to ``phone`` asked for by ``sender``."""
        ...
