"""An in-memory payment gateway for service tests: records pushes, answers as told."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from checkout.payments.gateway import PaymentResult, PushAccepted, PushFailed, QueryAnswer


@dataclass
class FakeGateway:
    """Implements ``checkout.payments.gateway.PaymentGateway``; set ``fail_with`` or ``answers`` to
    steer."""

    pushes: list[dict[str, object]] = field(default_factory=list)
    fail_with: PushFailed | None = None
    answers: dict[str, QueryAnswer] = field(default_factory=dict)
    query_failure: PushFailed | None = None
    queries: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def stk_push(
        self, *, phone: str, amount: int, reference: str, description: str
    ) -> PushAccepted:
        self.pushes.append(
            {"phone": phone, "amount": amount, "reference": reference, "description": description}
        )
        if self.fail_with is not None:
            raise self.fail_with
        number = next(self._ids)
        return PushAccepted(f"m-{number}", f"ws_CO_{number}", "Success. Request accepted")

    async def stk_query(self, checkout_request_id: str) -> QueryAnswer:
        self.queries.append(checkout_request_id)
        if self.query_failure is not None:
            raise self.query_failure
        return self.answers.get(checkout_request_id, QueryAnswer(None))


def paid(
    checkout_request_id: str, amount: int | None, receipt: str = "NLJ7RT61SV"
) -> PaymentResult:
    """A successful result."""
    return PaymentResult(
        checkout_request_id,
        0,
        "The service request is processed successfully.",
        amount=amount,
        receipt_number=receipt,
    )


def failed(checkout_request_id: str, code: int) -> PaymentResult:
    """A failed result with ``code``."""
    return PaymentResult(checkout_request_id, code, "failed")
