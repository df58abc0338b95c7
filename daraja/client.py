"""The Daraja client over a caller-supplied httpx.AsyncClient: STK Push and STK Push Query
here; C2B, Pull (:mod:`daraja.statement_calls`) and the initiator calls Transaction Status,
Reversal and B2C (:mod:`daraja.initiator_calls`) mixed in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from daraja.config import DarajaConfig
from daraja.error_codes import ErrorCode
from daraja.errors import (
    DarajaApiError,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    Operation,
    PushOutcomeUnknown,
)
from daraja.initiator_calls import InitiatorCalls
from daraja.models import StkPushAccepted, StkQueryOutcome, StkQueryPending, StkQueryResult
from daraja.oauth import (
    DEFAULT_REFRESH_MARGIN,
    RETRYABLE_TRANSPORT_ERRORS,
    DarajaAuth,
    TokenCache,
)
from daraja.phones import mask_phone, normalise_phone
from daraja.posting import Poster
from daraja.responses import api_error, error_code_of, json_object
from daraja.result_codes import ResultCode
from daraja.retry import RetryPolicy
from daraja.signing import nairobi_timestamp, stk_password, utc_now
from daraja.statement_calls import StatementCalls
from daraja.validation import (
    check_amount,
    check_callback_url,
    check_description,
    check_reference,
)

STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"

# Failures that prove a request never reached Daraja: only after these may a push be resent.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

logger = logging.getLogger(__name__)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _code(value: Any) -> int | None:
    # Query answers carry codes as strings ("0", "1032"); accept ints too, never bools.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


class DarajaClient(StatementCalls, InitiatorCalls):
    """Calls Daraja for one app and shortcode; shares one access token between all calls.

    The ``httpx.AsyncClient`` (base URL, timeouts) belongs to the caller, who also closes it.
    ``now`` must return aware datetimes; ``monotonic`` times token expiry.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: DarajaConfig,
        *,
        now: Callable[[], datetime] = utc_now,
        retry: RetryPolicy | None = None,
        token_refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._config = config
        self._now = now
        self._retry = retry or RetryPolicy()
        self._tokens = TokenCache(
            http,
            config.consumer_key,
            config.consumer_secret,
            retry=self._retry,
            refresh_margin=token_refresh_margin,
            clock=monotonic,
        )
        self._auth = DarajaAuth(self._tokens)
        self._poster = Poster(http, self._auth, self._retry)

    async def check_credentials(self) -> None:
        """Fetch an access token, raising DarajaAuthError if Daraja refuses the key and secret."""
        await self._tokens.get()

    @property
    def config(self) -> DarajaConfig:
        """Return the app and business this client works for."""
        return self._config

    def _signed(self) -> dict[str, str]:
        timestamp = nairobi_timestamp(self._now())
        shortcode = self._config.business_shortcode
        return {
            "BusinessShortCode": shortcode,
            "Password": stk_password(shortcode, self._config.passkey.get_secret_value(), timestamp),
            "Timestamp": timestamp,
        }

    async def stk_push(
        self,
        phone: str,
        amount: int,
        reference: str,
        description: str,
        callback_url: str,
    ) -> StkPushAccepted:
        """Ask Daraja to prompt ``phone`` for ``amount`` shillings; return its acceptance.

        Raises DarajaValidationError before sending anything when a field breaks a rule,
        DarajaApiError when Daraja refuses, PushOutcomeUnknown when the push may have been
        accepted (a timeout, a gateway error) and DarajaUnavailable when it was never delivered.
        The push is resent only when Daraja certainly did not get it or refused its token.
        """
        msisdn = normalise_phone(phone)
        fields = {
            "TransactionType": self._config.transaction_type.value,
            "Amount": check_amount(amount),
            "PartyA": msisdn,
            "PartyB": self._config.receiving_party,
            "PhoneNumber": msisdn,
            "CallBackURL": check_callback_url(callback_url),
            "AccountReference": check_reference(reference),
            "TransactionDesc": check_description(description),
        }
        masked = mask_phone(msisdn)
        failure: Exception | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                await self._retry.wait(attempt - 1)
            try:
                response = await self._http.post(
                    STK_PUSH_PATH, json={**self._signed(), **fields}, auth=self._auth
                )
            except NOT_SENT_ERRORS as exc:
                logger.warning(
                    "stk push to %s not delivered (%s), attempt %d",
                    masked,
                    type(exc).__name__,
                    attempt + 1,
                )
                failure = exc
                continue
            except httpx.TransportError as exc:
                # The request may have reached Daraja: a second push would be a second prompt.
                logger.warning("stk push to %s: outcome unknown (%s)", masked, type(exc).__name__)
                raise PushOutcomeUnknown(
                    f"no answer to the push ({type(exc).__name__}); "
                    "wait for its callback or reconcile before pushing again"
                ) from exc
            accepted = self._read_push_answer(response)
            logger.info(
                "stk push accepted: checkout=%s phone=%s amount=%d",
                accepted.checkout_request_id,
                masked,
                amount,
            )
            return accepted
        raise DarajaUnavailable(f"push not delivered: {type(failure).__name__}") from failure

    def _read_push_answer(self, response: httpx.Response) -> StkPushAccepted:
        status = response.status_code
        body = json_object(response)
        if status == 200 and body is not None and "errorCode" not in body:
            return self._accepted(body)
        if error_code_of(response) is not None or 400 <= status < 500:
            raise api_error(Operation.STK_PUSH, response)
        # A 200 we cannot read, or a 5xx from a gateway rather than from Daraja: the push may
        # well have gone through.
        raise PushOutcomeUnknown(f"the push was answered HTTP {status} without a readable body")

    def _accepted(self, body: dict[str, Any]) -> StkPushAccepted:
        response_code = _code(body.get("ResponseCode"))
        if response_code is None:
            raise PushOutcomeUnknown("the push answer has no numeric ResponseCode")
        if response_code != 0:
            raise DarajaApiError(
                operation=Operation.STK_PUSH,
                status=200,
                error_code=str(response_code),
                error_message=_text(body, "ResponseDescription"),
                request_id=_text(body, "requestId") or _text(body, "MerchantRequestID"),
            )
        merchant_id = _text(body, "MerchantRequestID")
        checkout_id = _text(body, "CheckoutRequestID")
        if not merchant_id or not checkout_id:
            raise PushOutcomeUnknown("the push answer lacks MerchantRequestID/CheckoutRequestID")
        return StkPushAccepted(
            merchant_request_id=merchant_id,
            checkout_request_id=checkout_id,
            response_code=str(response_code),
            response_description=_text(body, "ResponseDescription") or "",
            customer_message=_text(body, "CustomerMessage") or "",
        )

    async def stk_query(self, checkout_request_id: str) -> StkQueryOutcome:
        """Ask Daraja how push ``checkout_request_id`` ended; StkQueryPending while it has not.

        Timeouts, network errors, 5xx and ``500.003.02`` are retried; then DarajaUnavailable or
        the last DarajaApiError is raised.
        """
        if not isinstance(checkout_request_id, str) or not checkout_request_id:
            raise DarajaValidationError("CheckoutRequestID", "must be a non-empty string")
        failure: DarajaError = DarajaUnavailable("query was not attempted")
        for attempt in range(self._retry.attempts):
            if attempt:
                await self._retry.wait(attempt - 1)
            body = {**self._signed(), "CheckoutRequestID": checkout_request_id}
            try:
                response = await self._http.post(STK_QUERY_PATH, json=body, auth=self._auth)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                logger.warning("stk query %s failed: %s", checkout_request_id, type(exc).__name__)
                failure = DarajaUnavailable(f"query failed: {type(exc).__name__}")
                failure.__cause__ = exc
                continue
            error_code = error_code_of(response)
            if error_code == ErrorCode.PROCESSING_OR_LOCKED:
                refused = api_error(Operation.STK_QUERY, response)
                if refused.is_wrong_credentials:
                    raise refused  # a configuration error, not a payment in progress
                return StkQueryPending(checkout_request_id)
            if error_code == ErrorCode.QUOTA_EXCEEDED:
                raise api_error(Operation.STK_QUERY, response)  # retrying now will not help
            if response.status_code >= 500 or error_code == ErrorCode.SYSTEM_BUSY:
                logger.warning(
                    "stk query %s answered HTTP %s %s",
                    checkout_request_id,
                    response.status_code,
                    error_code or "",
                )
                failure = api_error(Operation.STK_QUERY, response)
                continue
            return self._read_query_answer(response, checkout_request_id)
        raise failure

    def _read_query_answer(self, response: httpx.Response, checkout_id: str) -> StkQueryOutcome:
        body = json_object(response)
        if response.status_code != 200 or body is None or "errorCode" in body:
            if response.status_code == 200 and body is None:
                raise DarajaProtocolError("query answered HTTP 200 without a JSON object")
            raise api_error(Operation.STK_QUERY, response)
        result_code = _code(body.get("ResultCode"))
        if result_code is None:
            raise DarajaProtocolError("query answer has no numeric ResultCode")
        if result_code == ResultCode.IN_PROGRESS:
            return StkQueryPending(checkout_id)
        return StkQueryResult(
            merchant_request_id=_text(body, "MerchantRequestID"),
            checkout_request_id=_text(body, "CheckoutRequestID") or checkout_id,
            result_code=result_code,
            result_desc=_text(body, "ResultDesc") or "",
        )
