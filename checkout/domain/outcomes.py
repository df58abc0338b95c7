"""What the payment services decided, for a presenter to put into words.

A service settles, starts or looks up payments and returns (or queues) one of these; the
presenters in :mod:`checkout.i18n` turn it into the customer's or the staff's message in their
language. The services never choose a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from checkout.domain.records import Order, Payment, PaymentStatus


class NextStep(StrEnum):
    """What the customer is offered under a settled payment's message."""

    NOTHING = "nothing"  # paid, or being checked: nothing to do
    RETRY = "retry"  # failed, cancelled or expired: "Try again"


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """A payment as it settled and its order after it (None when the order was not needed)."""

    payment: Payment
    order: Order | None = None

    @property
    def balance(self) -> int:
        """What is left to pay on the order after this payment; 0 without an order."""
        return self.order.balance if self.order is not None else 0

    @property
    def next_step(self) -> NextStep:
        """A failed payment may be tried again; a paid or mismatched one may not."""
        if self.payment.status in (PaymentStatus.PAID, PaymentStatus.MISMATCHED):
            return NextStep.NOTHING
        return NextStep.RETRY


class Refusal(StrEnum):
    """Why a payment was not started."""

    ORDER_NOT_FOUND = "order_not_found"  # a listed order the business no longer has
    ORDER_PAID = "order_paid"  # nothing left to pay
    ORDER_REFUNDED = "order_refunded"  # everything paid went back: the order is closed
    ORDER_CANCELLED = "order_cancelled"  # the business cancelled it: the order is closed
    ABOVE_BALANCE = "above_balance"  # more than is left to pay
    ALREADY_PAYING = "already_paying"  # a prompt for this order and phone is still open


@dataclass(frozen=True, slots=True)
class PaymentRefused:
    """A payment refused before any push: ``order`` and ``balance`` say which and how much."""

    reason: Refusal
    order: str = ""
    balance: int = 0


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
