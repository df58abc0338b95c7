"""What the checkout core needs from the outside world, as ``Protocol``s.

Storage implements the repositories and the unit of work; the Daraja adapter implements
:class:`PaymentGateway`; channel adapters implement :class:`MessageSender`. The core depends on
these shapes only, so it can be tested with in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from checkout.conversation import ConversationState
from checkout.records import (
    Channel,
    Customer,
    Language,
    Order,
    OutboxMessage,
    Payment,
    PaymentStatus,
)


class OrderRepository(Protocol):
    """Orders by reference."""

    async def get(self, reference: str) -> Order | None:
        """The order with this reference, or None."""
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


@dataclass(frozen=True, slots=True)
class NewPayment:
    """What is known about a payment before its STK push is sent."""

    order_reference: str
    customer_id: int | None
    channel: Channel
    chat_key: str
    amount: int
    phone: str
    language: Language


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a payment ended, from a callback or a status query."""

    status: PaymentStatus
    result_code: int | None
    result_description: str
    receipt_number: str | None = None


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

    async def unrequested(self, *, amount: int, created_after: datetime) -> Sequence[Payment]:
        """Pending payments of ``amount`` whose push got no answer (no CheckoutRequestID)."""
        ...

    async def schedule_check(self, payment_id: int, *, at: datetime) -> None:
        """Ask about a pending payment again at ``at``."""
        ...


class PaymentEventRepository(Protocol):
    """The audit trail: every raw callback and query answer."""

    async def record(
        self,
        *,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        payment_id: int | None = None,
        checkout_request_id: str | None = None,
        note: str | None = None,
    ) -> None:
        """Append one event."""
        ...

    async def latest(self, checkout_request_id: str, kind: str) -> dict[str, Any] | None:
        """The payload of the latest event of ``kind`` for this CheckoutRequestID, if any."""
        ...

    async def unmatched_callbacks(
        self, *, received_after: datetime, received_before: datetime, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Payloads of callbacks in the window whose CheckoutRequestID no payment has."""
        ...


class OutboxRepository(Protocol):
    """Messages to deliver, written with their cause and delivered by a sender."""

    async def add(
        self,
        *,
        channel: Channel,
        chat_key: str,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Queue a message; a second one with the same ``dedupe_key`` is ignored."""
        ...

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease_seconds``; no other sender takes them."""
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Record a delivered message."""
        ...

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record a failed attempt and when to try again."""
        ...

    async def give_up(self, message_id: int, *, now: datetime, error: str) -> None:
        """Stop delivering a message that can never be delivered (e.g. the chat is gone)."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest undelivered message is due, if any."""
        ...


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A conversation's state and the version it was read at."""

    state: ConversationState
    version: int


class ConversationRepository(Protocol):
    """Conversation state per channel and chat, with optimistic concurrency."""

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        """The stored conversation, or None for a new chat."""
        ...

    async def save(
        self,
        channel: Channel,
        chat_key: str,
        state: ConversationState,
        *,
        expected_version: int | None,
        now: datetime,
    ) -> bool:
        """Store ``state`` if the version is still ``expected_version`` (None: new chat)."""
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
    ) -> Customer:
        """The customer of this chat, created on first contact."""
        ...

    async def set_language(self, customer_id: int, language: Language, *, now: datetime) -> None:
        """Remember the customer's language."""
        ...

    async def set_phone(self, customer_id: int, phone: str, *, now: datetime) -> None:
        """Remember the customer's paying phone."""
        ...


class UnitOfWork(Protocol):
    """One database transaction spanning every repository."""

    @property
    def orders(self) -> OrderRepository:
        """The order repository of this unit."""
        ...

    @property
    def payments(self) -> PaymentRepository:
        """The payment repository of this unit."""
        ...

    @property
    def events(self) -> PaymentEventRepository:
        """The payment event repository of this unit."""
        ...

    @property
    def outbox(self) -> OutboxRepository:
        """The outbox repository of this unit."""
        ...

    @property
    def conversations(self) -> ConversationRepository:
        """The conversation repository of this unit."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """The customer repository of this unit."""
        ...

    async def commit(self) -> None:
        """Commit everything written in this unit."""
        ...

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]


# --- the payment gateway (Daraja, behind an adapter) ----------------------------------------


@dataclass(frozen=True, slots=True)
class PushAccepted:
    """Daraja accepted an STK push; the customer's phone shows the prompt."""

    merchant_request_id: str
    checkout_request_id: str
    customer_message: str = ""


class PushProblem(StrEnum):
    """Why an STK push did not go through, in terms the checkout can act on."""

    REFUSED = "refused"  # Daraja answered with an error: nothing was sent to the phone
    SUBSCRIBER_LOCKED = "subscriber_locked"  # another transaction is in process for the phone
    BUSY = "busy"  # Daraja is overloaded (spike arrest, quota): try again shortly
    UNAVAILABLE = "unavailable"  # Daraja could not be reached: nothing was sent
    OUTCOME_UNKNOWN = "outcome_unknown"  # timed out: the push may or may not have gone out
    INVALID = "invalid"  # our own request was invalid (phone, amount, reference)


class PushFailed(Exception):
    """An STK push failed; ``problem`` says how, ``detail`` is for logs and staff only."""

    def __init__(self, problem: PushProblem, detail: str, *, code: str | None = None) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail
        self.code = code


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """Daraja's final word on a push, from a callback or a status query."""

    checkout_request_id: str
    result_code: int
    result_description: str
    merchant_request_id: str | None = None
    amount: int | None = None
    receipt_number: str | None = None
    phone: str | None = None
    transaction_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    """An STK Push Query answer: a final result, or None while the payment is in progress."""

    result: PaymentResult | None


class PaymentGateway(Protocol):
    """Sends STK pushes and asks for their state (Daraja, or anything that speaks like it)."""

    async def stk_push(
        self, *, phone: str, amount: int, reference: str, description: str
    ) -> PushAccepted:
        """Send an STK push; raises :class:`PushFailed`."""
        ...

    async def stk_query(self, checkout_request_id: str) -> QueryAnswer:
        """Ask how a push ended; raises :class:`PushFailed` when Daraja cannot answer."""
        ...


# --- delivering messages ---------------------------------------------------------------------


class DeliveryFailed(Exception):
    """A message could not be delivered now.

    ``retry_after`` is when to try again (seconds), or None when the message can never be
    delivered (the chat is gone, the bot was blocked) and retrying is pointless.
    """

    def __init__(self, detail: str, *, retry_after: float | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class MessageSender(Protocol):
    """Delivers one outbox message on its channel; raises :class:`DeliveryFailed`."""

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Deliver ``payload`` (see :func:`checkout.conversation.reply_to_payload`)."""
        ...
