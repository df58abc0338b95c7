"""What the checkout core needs from the outside world, as ``Protocol``s.

Storage implements the repositories and the unit of work; the Daraja adapter implements
:class:`PaymentGateway`; channel adapters implement :class:`MessageSender`. The core depends on
these shapes only, so it can be tested with in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from checkout.bnpl.ports import PlanRepository
from checkout.conversation.model import ConversationState
from checkout.domain.records import (
    BodyStatus,
    Channel,
    Customer,
    KeptBody,
    Language,
    Order,
    OutboxMessage,
    Payment,
    PaymentStatus,
    ReceivedBody,
)
from checkout.domain.replies import Reply
from checkout.domain.summaries import (
    DayTotal,
    OpenPlans,
    OutboxBacklog,
    OutcomeTotal,
    PaymentCursor,
    PaymentEventSummary,
    PaymentLine,
    PaymentPage,
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

    async def record_paid_many(self, amounts: dict[str, int]) -> dict[str, Order]:
        """:meth:`record_paid` for several orders in one statement; the orders after it."""
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
        """Claim up to ``limit`` due messages for ``lease_seconds``; no other sender takes them.

        A message waits while an older one of its chat is undelivered and not yet due (held
        for a retry, or claimed by another sender), so each chat's messages keep their order.
        """
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Record a delivered message."""
        ...

    async def mark_all_sent(self, message_ids: Sequence[int], *, now: datetime) -> None:
        """Record several delivered messages at once."""
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

    async def with_phone(self, channel: Channel, phone: str) -> Sequence[Customer]:
        """The customers on ``channel`` whose remembered phone is ``phone`` (normalised)."""
        ...


class ReportRepository(Protocol):
    """Read-only aggregates for staff reports and operations, computed in the database."""

    async def outcome_totals(self, *, start: datetime, end: datetime) -> Sequence[OutcomeTotal]:
        """Count and sum of the payments started in ``[start, end)``, per status."""
        ...

    async def daily_takings(
        self, *, start: datetime, end: datetime, utc_offset: timedelta
    ) -> Sequence[DayTotal]:
        """Paid payments started in ``[start, end)`` per local day (``utc_offset``), by day."""
        ...

    async def open_plans(self) -> OpenPlans:
        """Buy-Now-Pay-Later plans still being paid and what they owe."""
        ...

    async def count_pending(self) -> int:
        """How many payments still wait for an outcome."""
        ...

    async def pending_payments(self, *, limit: int) -> Sequence[Payment]:
        """The oldest payments still waiting for an outcome, oldest first."""
        ...

    async def count_partly_paid(self) -> int:
        """How many orders are partly paid."""
        ...

    async def partly_paid_orders(self, *, limit: int) -> Sequence[Order]:
        """Partly paid orders, most recently paid first."""
        ...

    async def find_payments(
        self, *, receipt: str | None, reference: str | None, phone: str | None, limit: int
    ) -> Sequence[Payment]:
        """Payments with this receipt number, order reference or phone, newest first."""
        ...

    async def events_for(self, payment_ids: Sequence[int]) -> Sequence[PaymentEventSummary]:
        """The audit trail of these payments, oldest first."""
        ...

    async def payments_between(self, *, start: datetime, end: datetime) -> Sequence[PaymentLine]:
        """Every payment started in ``[start, end)`` as an export row, oldest first."""
        ...

    async def outbox_backlog(self) -> OutboxBacklog:
        """Undelivered outbox messages per channel and the oldest one's age."""
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

    async def settled_page(
        self, *, since: datetime, after: PaymentCursor | None, limit: int
    ) -> PaymentPage:
        """Payments settled at or after ``since`` (past ``after``), in settle order."""
        ...


class UssdStatus(StrEnum):
    """Where a USSD session stands."""

    OPEN = "open"  # the last answer was CON: the customer may answer
    ENDED = "ended"  # the last answer was END
    COMPLETED = "completed"  # the gateway reported the session finished normally
    ABANDONED = "abandoned"  # the gateway reported the customer left or the session failed


@dataclass(frozen=True, slots=True)
class UssdSession:
    """A USSD session as stored: the inputs answered so far and the screen last shown.

    ``text`` is the gateway's ``text`` last answered (every input joined by ``*``);
    ``screen`` is the JSON form of that screen and ``page`` the page shown. ``version`` is 0
    for a session not stored yet.
    """

    session_id: str
    phone: str
    service_code: str
    network_code: str
    text: str
    screen: dict[str, Any]
    page: int = 0
    status: UssdStatus = UssdStatus.OPEN
    version: int = 0


class UssdSessionRepository(Protocol):
    """USSD sessions by the gateway's session id, with optimistic concurrency."""

    async def get(self, session_id: str) -> UssdSession | None:
        """The stored session, or None."""
        ...

    async def save(self, session: UssdSession, *, now: datetime) -> bool:
        """Store ``session`` if it is still at its ``version``; False if another request won."""
        ...

    async def record_end(
        self,
        *,
        session_id: str,
        phone: str,
        service_code: str,
        network_code: str,
        status: UssdStatus,
        gateway_status: str,
        error: str | None,
        now: datetime,
    ) -> None:
        """Record the gateway's end-of-session notice (a session never seen is created)."""
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

    async def record(self, phone: str, sender: str, *, now: datetime) -> None:
        """Count one push to ``phone`` asked for by ``sender``."""
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
    def callback_bodies(self) -> CallbackBodyRepository:
        """The kept callback bodies of this unit."""
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

    @property
    def reports(self) -> ReportRepository:
        """The reporting queries of this unit."""
        ...

    @property
    def order_book(self) -> OrderBookRepository:
        """The order book of this unit (staff and platform orders)."""
        ...

    @property
    def ussd_sessions(self) -> UssdSessionRepository:
        """The USSD sessions of this unit."""
        ...

    @property
    def pushes(self) -> PushRequestRepository:
        """The pushes waiting for their USSD session to end, of this unit."""
        ...

    @property
    def plans(self) -> PlanRepository:
        """The Buy-Now-Pay-Later plans of this unit."""
        ...

    @property
    def push_limits(self) -> PushLimitRepository:
        """The pushes people asked for, counted for the push limits, of this unit."""
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


class OutboxDelivery(Protocol):
    """A sender in this process that a commit queuing outbox messages hands them to.

    The commit claims the messages it wrote for the sender's lease (as its own claim would)
    and hands them over once committed: no claim round trip, and the message leaves at once.
    Should this process die first, the lease runs out and any sender retries them.
    """

    def lease_until(self) -> datetime | None:
        """Until when to claim new messages for this sender; None while it is not running."""

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Deliver these claimed messages now."""

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """Messages the commit could not claim were queued for these chats."""


Clock = Callable[[], datetime]


class SettlementListener(Protocol):
    """Told of each payment as it settles, inside the settling transaction (events, metrics)."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """React to ``payment`` having settled; ``order`` is given when it was paid."""
        ...


class SettledReplyHook(Protocol):
    """Shapes the customer's message about a settled payment, inside the settling transaction.

    Buy-Now-Pay-Later settles a plan's installment with its payment here, and adds "Pay
    later" under a payment that failed for lack of balance.
    """

    async def settled_reply(
        self, unit: UnitOfWork, payment: Payment, order: Order | None, reply: Reply
    ) -> Reply:
        """The message to queue for the customer instead of ``reply`` (often ``reply`` itself)."""
        ...

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Called before :meth:`settled_reply` for several payments, to look them up at once."""
        ...


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
    # Daraja refused our shortcode/passkey (or consumer key): no push can succeed until the
    # operator fixes the configuration; the staff are told.
    MISCONFIGURED = "misconfigured"


class PushFailed(Exception):
    """An STK push failed; ``problem`` says how, ``detail`` is for logs and staff only."""

    def __init__(self, problem: PushProblem, detail: str, *, code: str | None = None) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail
        self.code = code


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """Daraja's final word on a push, from a callback or a status query.

    ``result_code`` is None when Daraja's code is not a number (``SFC_IC0003``); that code is
    in ``result_code_text``, and the push failed.
    """

    checkout_request_id: str
    result_code: int | None
    result_description: str
    merchant_request_id: str | None = None
    amount: int | None = None
    receipt_number: str | None = None
    phone: str | None = None
    transaction_date: datetime | None = None
    result_code_text: str | None = None


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
        """Deliver ``payload`` (see :func:`checkout.conversation.model.reply_to_payload`)."""
        ...
