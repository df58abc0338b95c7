"""The checkout's payment gateway, implemented with the Daraja client.

It turns Daraja's exception tree into the checkout's :class:`PushFailed` problems and its
answers into checkout records, and it knows the callback URL every push carries.
"""

from __future__ import annotations

import logging

from checkout.domain.outcomes import PushProblem
from checkout.payments.gateway import PaymentResult, PushAccepted, PushFailed, QueryAnswer
from daraja import (
    DarajaApiError,
    DarajaAuthError,
    DarajaClient,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    PushOutcomeUnknown,
    StkQueryPending,
)

log = logging.getLogger(__name__)


def _problem(error: DarajaError) -> PushProblem:
    """The one mapping of Daraja's errors to what the checkout can do about them."""
    if isinstance(error, DarajaValidationError):
        return PushProblem.INVALID
    if isinstance(error, PushOutcomeUnknown | DarajaProtocolError):
        return PushProblem.OUTCOME_UNKNOWN
    if isinstance(error, DarajaUnavailable):
        return PushProblem.UNAVAILABLE
    if isinstance(error, DarajaApiError):
        if error.is_wrong_credentials:
            return PushProblem.MISCONFIGURED
        if error.is_subscriber_locked:
            return PushProblem.SUBSCRIBER_LOCKED
        # 429 is Daraja's API gateway shedding load, like spike arrest: busy, not a refusal.
        if error.is_system_busy or error.is_quota_exceeded or error.is_rate_limited:
            return PushProblem.BUSY
        if error.is_server_error:
            return PushProblem.UNAVAILABLE
    return PushProblem.REFUSED


def _code(error: DarajaError) -> str | None:
    return error.error_code if isinstance(error, DarajaApiError) else None


class DarajaGateway:
    """Implements ``checkout.payments.gateway.PaymentGateway`` with a :class:`DarajaClient`."""

    def __init__(self, client: DarajaClient, callback_url: str) -> None:
        self._client = client
        self._callback_url = callback_url

    async def stk_push(
        self, *, phone: str, amount: int, reference: str, description: str
    ) -> PushAccepted:
        """Send an STK push whose callback comes to our callback route."""
        try:
            accepted = await self._client.stk_push(
                phone, amount, reference, description, self._callback_url
            )
        except DarajaError as error:
            if isinstance(error, DarajaAuthError):
                log.error("Daraja refused our credentials: check MPESA_CONSUMER_KEY/SECRET")
            elif isinstance(error, DarajaApiError) and error.is_wrong_credentials:
                log.error(
                    "Daraja refused the shortcode and passkey: check "
                    "MPESA_BUSINESS_SHORTCODE and MPESA_PASSKEY (run `lipa doctor`)"
                )
            raise PushFailed(_problem(error), str(error), code=_code(error)) from error
        return PushAccepted(
            merchant_request_id=accepted.merchant_request_id,
            checkout_request_id=accepted.checkout_request_id,
            customer_message=accepted.customer_message,
        )

    async def stk_query(self, checkout_request_id: str) -> QueryAnswer:
        """Ask Daraja how a push ended (None while the customer has not answered)."""
        try:
            outcome = await self._client.stk_query(checkout_request_id)
        except DarajaError as error:
            raise PushFailed(_problem(error), str(error), code=_code(error)) from error
        if isinstance(outcome, StkQueryPending):
            return QueryAnswer(None)
        return QueryAnswer(
            PaymentResult(
                checkout_request_id=outcome.checkout_request_id,
                merchant_request_id=outcome.merchant_request_id,
                result_code=outcome.result_code,
                result_description=outcome.result_desc,
            )
        )
