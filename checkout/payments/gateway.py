"""The payment gateway as the core sees it (Daraja, behind an adapter): pushes, their answers,
and the problems a push can meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


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
