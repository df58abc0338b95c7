"""What refunds need from outside: their repository, a unit of work holding it, Daraja's
Reversal / B2C / Transaction Status calls, and whoever is told of a completed refund."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from checkout.domain.records import Order, Payment
from checkout.domain.refunds import (
    Refund,
    RefundFailure,
    RefundMethod,
    RefundState,
    RefundTotal,
)
from checkout.payments.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewRefund:
    """A checked refund request, before it is stored."""

    payment_id: int
    order_reference: str
    receipt: str
    amount: int
    reason: str | None
    requested_by: str
    api_reference: str | None = None


@dataclass(frozen=True, slots=True)
class RefundEnd:
    """How a refund ended (``completed`` or ``failed``), in Daraja's words where it gave any."""

    state: RefundState
    result_code: str | None = None
    description: str | None = None
    transaction_id: str | None = None  # M-Pesa's reference of the money going back
    failure: RefundFailure | None = None  # why it failed


class RefundRepository(Protocol):
    """Refund requests in the ``refunds`` table; every state change is one conditional UPDATE."""

    async def lock(self) -> None:
        """Hold the refunds lock until the transaction ends (checks of sums stay true).

        On PostgreSQL a transaction-scoped advisory lock; SQLite serialises writers itself.
        """
        ...

    async def payment_with_receipt(self, receipt: str) -> Payment | None:
        """The newest payment with this M-Pesa receipt (any status; a till credit too), or None."""
        ...

    async def take_back(self, reference: str, amount: int, *, now: datetime) -> Order:
        """Count ``amount`` as no longer paid on the order (``refunded`` once nothing is)."""
        ...

    async def add(self, new: NewRefund, *, now: datetime) -> Refund:
        """Store a request (state ``requested``)."""
        ...

    async def get(self, refund_id: int) -> Refund | None:
        """The refund with this id, or None."""
        ...

    async def by_api_reference(self, reference: str) -> Refund | None:
        """The refund the platform asked for with this reference, or None."""
        ...

    async def held_for_payment(self, payment_id: int) -> int:
        """What this payment's refunds that may still (or did) go out add up to."""
        ...

    async def approved_since(self, since: datetime) -> int:
        """What refunds approved at or after ``since`` that went (or may go) out add up to."""
        ...

    async def decide(
        self,
        refund_id: int,
        *,
        state: RefundState,
        by: str | None,
        now: datetime,
        over_limit: bool = False,
    ) -> Refund | None:
        """Move a ``requested`` refund to ``state``; None (no change) if it was not requested."""
        ...

    async def expire_older(self, *, requested_before: datetime, now: datetime) -> Sequence[Refund]:
        """Expire every request made before ``requested_before``; the ones expired."""
        ...

    async def claim_approved(
        self, *, now: datetime, lease_seconds: float, limit: int
    ) -> Sequence[Refund]:
        """Claim approved refunds (``sending``) for ``lease_seconds``; no one else takes them."""
        ...

    async def release_unstarted(self, *, now: datetime) -> Sequence[Refund]:
        """Refunds whose sender's lease ran out: back to ``approved`` if no call was started,
        else ``sent`` (Daraja may have them: asked about, never sent again). The ones moved."""
        ...

    async def start_call(
        self, refund_id: int, *, method: RefundMethod, originator_id: str, now: datetime
    ) -> bool:
        """Record, before calling Daraja, that a call is being made (False: not held any more)."""
        ...

    async def mark_sent(
        self,
        refund_id: int,
        *,
        originator_id: str | None,
        conversation_id: str | None,
        now: datetime,
        check_at: datetime | None = None,
    ) -> None:
        """Daraja took the call (or may have): ``sent``, its ids kept; ``check_at``: ask then."""
        ...

    async def requeue(self, refund_id: int, *, now: datetime) -> bool:
        """A reversal Daraja refused after all: back to ``approved`` for a B2C send."""
        ...

    async def finish(self, refund_id: int, end: RefundEnd, *, now: datetime) -> Refund | None:
        """Complete or fail a refund still in flight (or approved); None if already finished."""
        ...

    async def in_flight(
        self, *, originator_id: str | None, conversation_id: str | None, receipt: str | None
    ) -> Refund | None:
        """The refund in flight (sending, sent) a result names by its ids (or, failing those,
        a reversal of ``receipt``), or None."""
        ...

    async def claim_checks(
        self, *, now: datetime, lease_seconds: float, limit: int
    ) -> Sequence[Refund]:
        """Claim sent refunds whose status check is due; their next check moves past the lease."""
        ...

    async def schedule_check(
        self,
        refund_id: int,
        *,
        at: datetime | None,
        conversation_id: str | None = None,
        code: str | None = None,
    ) -> None:
        """Ask about a sent refund at ``at`` (None: stop asking); with ``conversation_id``,
        count the ask made; ``code``: the latest code Daraja gave (a queue timeout's)."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When an approved refund, a lease running out or a status check next needs a sender."""
        ...

    async def completed_totals(self, *, start: datetime, end: datetime) -> RefundTotal:
        """Refunds completed in ``[start, end)``: how many and how much."""
        ...

    async def completed_between(self, *, start: datetime, end: datetime) -> Sequence[Refund]:
        """Refunds completed in ``[start, end)``, oldest first."""
        ...

    async def for_payments(self, payment_ids: Sequence[int]) -> Sequence[Refund]:
        """Every refund of these payments, oldest first."""
        ...


class RefundUnitOfWork(UnitOfWork, Protocol):
    """The payments' unit of work with the refunds in it."""

    @property
    def refunds(self) -> RefundRepository:
        """The refund repository of this unit."""
        ...


RefundUnitOfWorkFactory = Callable[[], RefundUnitOfWork]


class CallOutcome(StrEnum):
    """How Daraja answered a Reversal, B2C or Transaction Status call."""

    ACCEPTED = "accepted"  # queued by Daraja: the result comes later
    REFUSED = "refused"  # refused outright: provably nothing was sent
    UNKNOWN = "unknown"  # no answer (timeout, connection lost): it may have been taken


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """Daraja's immediate answer to an initiator call."""

    outcome: CallOutcome
    originator_id: str | None = None
    conversation_id: str | None = None
    code: str | None = None  # an error code (400.002.02, 500.001.1001) when refused
    description: str = ""


class RefundGateway(Protocol):
    """Daraja's Reversal, B2C and Transaction Status calls, as refunds need them.

    Results arrive later on the result (or queue timeout) route and are given to
    :meth:`checkout.refunds.results.RefundResults.take`.
    """

    @property
    def can_send(self) -> bool:
        """Whether an initiator is configured (else no refund can be sent)."""
        ...

    @property
    def b2c_available(self) -> bool:
        """Whether a B2C shortcode and its initiator are configured."""
        ...

    async def reverse(self, *, receipt: str, amount: int, remarks: str) -> CallAnswer:
        """Ask Daraja to reverse ``receipt`` (``amount``: the whole payment)."""
        ...

    async def pay_phone(
        self, *, originator_id: str, phone: str, amount: int, remarks: str, occasion: str
    ) -> CallAnswer:
        """Send ``amount`` to ``phone`` by B2C (BusinessPayment) with our originator id."""
        ...

    async def ask_status(
        self,
        *,
        transaction_id: str | None,
        originator_id: str | None,
        remarks: str,
        by_call: str | None = None,
    ) -> CallAnswer:
        """Ask Transaction Status about a refund whose result never came: of
        ``transaction_id``, or (None) of the call whose OriginatorConversationID is
        ``by_call`` (a B2C payment, which has no transaction id until its Result)."""
        ...


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A Result (or QueueTimeOut) body for a Reversal, B2C or status query, as refunds read it."""

    originator_id: str | None
    conversation_id: str | None
    result_code: int | None
    result_code_text: str | None
    description: str
    transaction_id: str | None = None
    parameters: Mapping[str, str | int | float | None] = field(default_factory=dict)
    timed_out: bool = False  # posted to the QueueTimeOutURL: Daraja never ran it

    @property
    def code(self) -> str:
        """The result code as text (numeric codes as their digits)."""
        if self.result_code is not None:
            return str(self.result_code)
        return self.result_code_text or ""


class RefundListener(Protocol):
    """Told of each completed refund inside its transaction (the ``payment.refunded`` event)."""

    async def payment_refunded(
        self, unit: UnitOfWork, refund: Refund, payment: Payment, order: Order | None
    ) -> None:
        """React to ``refund`` having completed; ``order`` is the order after it."""
        ...
