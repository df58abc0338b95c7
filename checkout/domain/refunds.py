"""Refunds: money going back to a customer, asked by one staff user and approved by another.

Plain records the refunds service, its storage and its presenters share. A refund is stored
(``requested``) before anyone approves it, and before any call to Daraja; its state then only
moves forward: ``requested`` → ``approved`` (or ``rejected``, ``expired``) → ``sending`` (a
sender holds it) → ``sent`` (Daraja accepted it) → ``completed`` or ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout.domain.records import Order, Payment


class RefundState(StrEnum):
    """Where a refund is in its life."""

    REQUESTED = "requested"  # waiting for a second staff user
    APPROVED = "approved"  # approved; waiting for a sender
    REJECTED = "rejected"  # a staff user said no
    EXPIRED = "expired"  # nobody approved it in time
    SENDING = "sending"  # a sender holds it (a lease) and is calling Daraja
    SENT = "sent"  # Daraja accepted it (or may have): its result is awaited, never re-sent
    COMPLETED = "completed"  # the money went back
    FAILED = "failed"  # Daraja said it did not happen (or it was refused before sending)

    @property
    def holds_money(self) -> bool:
        """Whether the refund counts against its payment's amount (it may still go out)."""
        return self not in (RefundState.REJECTED, RefundState.EXPIRED, RefundState.FAILED)

    @property
    def approved(self) -> bool:
        """Whether a second staff user approved it (it counts against the daily limit)."""
        return self in (
            RefundState.APPROVED,
            RefundState.SENDING,
            RefundState.SENT,
            RefundState.COMPLETED,
        )


class RefundMethod(StrEnum):
    """How the money goes back."""

    REVERSAL = "reversal"  # Daraja's Reversal of the original receipt (whole payments)
    B2C = "b2c"  # a B2C BusinessPayment to the customer's phone (part refunds, fallback)


class RefundFailure(StrEnum):
    """Why a refund did not go out, in words a presenter can say plainly."""

    INSUFFICIENT_FLOAT = "insufficient_float"  # the B2C account has too little money
    ALREADY_REVERSED = "already_reversed"  # someone reversed the payment already (portal)
    INITIATOR = "initiator"  # Daraja refuses the initiator or its security credential
    NO_B2C = "no_b2c"  # a part refund (or refused reversal) without a B2C shortcode
    NO_PHONE = "no_phone"  # B2C needs the customer's number and only a masked one is known
    NOT_SET_UP = "not_set_up"  # no initiator configured: refunds cannot be sent at all
    REFUSED = "refused"  # Daraja refused it for another reason (its description kept)
    UNANSWERED = "unanswered"  # Daraja never said what became of it; staff must check
    TIMED_OUT = "timed_out"  # Daraja dropped it from its queue unrun: nothing went out


class RefundOutcome(StrEnum):
    """What asking for, approving or rejecting a refund did (the values are text keys)."""

    REQUESTED = "requested"  # stored; waits for a second staff user
    SAME = "same"  # the platform repeated a request (same reference): nothing new
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"  # pressed after 24 hours: the request expired instead
    NO_PAYMENT = "no_payment"  # no payment has this receipt
    NOT_PAID = "not_paid"  # the payment is not paid (failed, mismatched, ...)
    TOO_OLD = "too_old"  # older than REFUND_MAX_AGE_DAYS
    BAD_AMOUNT = "bad_amount"  # not a whole number of shillings from 1
    TOO_MUCH = "too_much"  # beyond what is left of the payment
    NO_REFUND = "no_refund"  # no refund with this id
    OWN_REQUEST = "own_request"  # the requester pressed Approve
    NOT_APPROVER = "not_approver"  # not in REFUND_APPROVERS
    OVER_LIMIT = "over_limit"  # past REFUND_DAILY_LIMIT, and not an owner
    DECIDED = "decided"  # approved, rejected or expired already: nothing changed
    REFERENCE_TAKEN = "reference_taken"  # the API reference names another refund

    @property
    def refused(self) -> bool:
        """Whether nothing was stored or changed."""
        return self not in (
            RefundOutcome.REQUESTED,
            RefundOutcome.SAME,
            RefundOutcome.APPROVED,
            RefundOutcome.REJECTED,
        )


@dataclass(frozen=True, slots=True)
class Refund:
    """One refund request and what became of it. Money in whole shillings."""

    id: int
    payment_id: int
    order_reference: str
    receipt: str  # the M-Pesa receipt of the payment going back
    amount: int
    reason: str | None
    requested_by: str  # "telegram:<user id>" or "api"
    state: RefundState
    requested_at: datetime
    method: RefundMethod | None = None
    approved_by: str | None = None
    decided_at: datetime | None = None
    over_limit: bool = False  # an owner approved it past the daily limit
    originator_id: str | None = None  # the OriginatorConversationID of the call
    conversation_id: str | None = None  # Daraja's ConversationID
    attempts: int = 0  # calls made to Daraja for it (a reversal, then perhaps a B2C)
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    transaction_id: str | None = None  # M-Pesa's reference of the money going back
    result_code: str | None = None
    result_description: str | None = None
    failure: RefundFailure | None = None
    api_reference: str | None = None  # the platform's idempotency reference
    status_checks: int = 0  # Transaction Status asks after a queue timeout
    check_conversation_id: str | None = None  # the ConversationID of the latest such ask


@dataclass(frozen=True, slots=True)
class RefundView:
    """A refund with its payment and order, as staff and the customer are told about it.

    ``balance_after`` is what the order's balance becomes once the refund is completed.
    """

    refund: Refund
    payment: Payment
    order: Order | None

    @property
    def balance_after(self) -> int:
        """The order's balance once this refund's amount is no longer counted as paid."""
        if self.order is None:
            return 0
        if self.refund.state is RefundState.COMPLETED:
            return self.order.balance
        return max(self.order.amount_due - (self.order.amount_paid - self.refund.amount), 0)


@dataclass(frozen=True, slots=True)
class RefundTotal:
    """How many refunds completed in a period and what they gave back."""

    count: int = 0
    amount: int = 0
