"""Timing Daraja calls: a payment gateway that records how long each call to another took."""

from __future__ import annotations

import time
from collections.abc import Callable

from checkout.payments.gateway import PaymentGateway, PushAccepted, PushFailed, QueryAnswer

# operation ("stk_push"/"stk_query"), seconds, result ("ok", "pending", a problem, "error")
CallRecorder = Callable[[str, float, str], None]


class TimedGateway:
    """Implements ``checkout.payments.gateway.PaymentGateway`` by timing each call to ``inner``."""

    def __init__(
        self,
        inner: PaymentGateway,
        record: CallRecorder,
        *,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._inner = inner
        self._record = record
        self._timer = timer

    async def stk_push(
        self, *, phone: str, amount: int, reference: str, description: str
    ) -> PushAccepted:
        """Send the push through ``inner``, timing it."""
        started = self._timer()
        result = "error"
        try:
            accepted = await self._inner.stk_push(
                phone=phone, amount=amount, reference=reference, description=description
            )
            result = "ok"
            return accepted
        except PushFailed as failure:
            result = failure.problem.value
            raise
        finally:
            self._record("stk_push", self._timer() - started, result)

    async def stk_query(self, checkout_request_id: str) -> QueryAnswer:
        """Ask through ``inner``, timing it ("pending" when the payment is still in progress)."""
        started = self._timer()
        result = "error"
        try:
            answer = await self._inner.stk_query(checkout_request_id)
            result = "ok" if answer.result is not None else "pending"
            return answer
        except PushFailed as failure:
            result = failure.problem.value
            raise
        finally:
            self._record("stk_query", self._timer() - started, result)
