"""The payment gateway as the core sees it (Daraja, behind an adapter): pushes, their answers,
and the problems a push can meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from checkout.domain.outcomes import PushProblem


@dataclass(frozen=True, slots=True)
class PushAccepted:
    """Daraja accepted an STK push; the customer's phone shows the prompt."""

    merchant_request_id: str
    checkout_request_id: str
    customer_message: str = ""


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
