"""Sending the Daraja calls beyond STK Push, with the STK calls' retry and auth discipline.

Two ways to send, by what a second copy of the request would do:

- :meth:`Poster.post_safe` for requests that move no money (C2B and Pull registration, Pull
  query, Transaction Status): network failures, 5xx and spike arrest are retried.
- :meth:`Poster.post_once` for requests that move money (Reversal, B2C, the sandbox's C2B
  simulate): resent only when the request certainly never reached Daraja (a failed connect);
  any other doubt is :class:`OutcomeUnknown`, never a second send.

Both authenticate with the client's shared token (refreshed once on ``404.001.03``, which is
safe: a request refused for its token was not processed).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from daraja.error_codes import ErrorCode
from daraja.errors import (
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    Operation,
    OutcomeUnknown,
)
from daraja.oauth import RETRYABLE_TRANSPORT_ERRORS, DarajaAuth
from daraja.responses import api_error, error_code_of, json_object
from daraja.retry import RetryPolicy

# Failures that prove a request never reached Daraja: only after these may money move twice.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

logger = logging.getLogger(__name__)


class Poster:
    """POSTs JSON to Daraja paths with the shared token and a retry policy."""

    def __init__(self, http: httpx.AsyncClient, auth: DarajaAuth, retry: RetryPolicy) -> None:
        self._http = http
        self._auth = auth
        self._retry = retry

    async def post_safe(
        self, operation: Operation, path: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST ``body``; return the JSON object of an HTTP 200 answer.

        Retries timeouts, network errors, 5xx without an error code, ``500.003.02``; raises
        DarajaApiError for a refusal, DarajaProtocolError for an unreadable 200, and
        DarajaUnavailable (or the last refusal) when the retries ran out.
        """
        failure: DarajaError = DarajaUnavailable(f"{operation} was not attempted")
        for attempt in range(self._retry.attempts):
            if attempt:
                await self._retry.wait(attempt - 1)
            try:
                response = await self._http.post(path, json=body, auth=self._auth)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                logger.warning("daraja %s failed: %s", operation, type(exc).__name__)
                failure = DarajaUnavailable(f"{operation} failed: {type(exc).__name__}")
                failure.__cause__ = exc
                continue
            error_code = error_code_of(response)
            if error_code == ErrorCode.QUOTA_EXCEEDED:
                raise api_error(operation, response)  # retrying now will not help
            if error_code == ErrorCode.SYSTEM_BUSY or (
                response.status_code >= 500 and error_code is None
            ):
                logger.warning(
                    "daraja %s answered HTTP %s %s",
                    operation,
                    response.status_code,
                    error_code or "",
                )
                failure = api_error(operation, response)
                continue
            return self._read(operation, response)
        raise failure

    async def post_once(
        self, operation: Operation, path: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST ``body``, which moves money; return the JSON object of an HTTP 200 answer.

        Resent only after a failed connect (DarajaUnavailable when those run out). A timeout or
        broken connection after sending, a 5xx without Daraja's error shape, or a 200 that
        cannot be read raise OutcomeUnknown: the caller must find out (Transaction Status, or
        the result) before asking again. Daraja's refusals raise DarajaApiError.
        """
        failure: Exception | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                await self._retry.wait(attempt - 1)
            try:
                response = await self._http.post(path, json=body, auth=self._auth)
            except NOT_SENT_ERRORS as exc:
                logger.warning(
                    "daraja %s not delivered (%s), attempt %d",
                    operation,
                    type(exc).__name__,
                    attempt + 1,
                )
                failure = exc
                continue
            except httpx.TransportError as exc:
                logger.warning("daraja %s: outcome unknown (%s)", operation, type(exc).__name__)
                raise OutcomeUnknown(
                    f"no answer to {operation} ({type(exc).__name__}); find out what happened "
                    "before sending it again",
                    operation,
                ) from exc
            status = response.status_code
            body_read = json_object(response)
            if status == 200 and body_read is not None and "errorCode" not in body_read:
                return body_read
            if error_code_of(response) is not None or 400 <= status < 500:
                raise api_error(operation, response)
            raise OutcomeUnknown(
                f"{operation} was answered HTTP {status} without a readable body", operation
            )
        raise DarajaUnavailable(f"{operation} not delivered: {type(failure).__name__}") from failure

    @staticmethod
    def _read(operation: Operation, response: httpx.Response) -> dict[str, Any]:
        body = json_object(response)
        if response.status_code == 200 and body is not None and "errorCode" not in body:
            return body
        if response.status_code == 200 and body is None:
            raise DarajaProtocolError(f"{operation} answered HTTP 200 without a JSON object")
        raise api_error(operation, response)
