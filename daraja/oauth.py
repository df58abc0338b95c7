"""The OAuth access token: fetched once, shared by every call, refreshed before it expires."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from daraja.config import Secret
from daraja.error_codes import ErrorCode
from daraja.errors import (
    DarajaAuthError,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    Operation,
)
from daraja.responses import api_error, error_code_of, json_object
from daraja.retry import RetryPolicy

TOKEN_PATH = "/oauth/v1/generate"
DEFAULT_REFRESH_MARGIN = 60.0

logger = logging.getLogger(__name__)

# Failures after which the request certainly or possibly did not reach Daraja; a token request
# changes nothing we care about, so every one of them may be retried.
RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def _parse_expires_in(value: Any) -> float:
    # Daraja has sent expires_in both as "3599" and as 3599.
    if isinstance(value, bool):
        raise DarajaProtocolError("token answer: expires_in is not a number")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise DarajaProtocolError("token answer: expires_in is not a number") from None
    if not isinstance(value, int | float) or not value > 0 or value == float("inf"):
        raise DarajaProtocolError("token answer: expires_in is not a positive number")
    return float(value)


class TokenCache:
    """Holds one access token per client; concurrent callers share a single token request."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        consumer_key: str,
        consumer_secret: Secret,
        *,
        retry: RetryPolicy | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._credentials = httpx.BasicAuth(consumer_key, consumer_secret.get_secret_value())
        self._retry = retry or RetryPolicy()
        self._refresh_margin = refresh_margin
        self._clock = clock
        # One lock: whoever holds it fetches, everybody else waits and reuses the result.
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def _current(self) -> str | None:
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        return None

    async def get(self) -> str:
        """Return a valid token, fetching one first if there is none or it is about to expire."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()
            if token is not None:
                return token
            return await self._fetch()

    async def refresh(self, stale: str) -> str:
        """Return a token other than ``stale``, which Daraja refused; fetched at most once."""
        async with self._lock:
            token = self._current()
            if token is not None and token != stale:
                return token  # another caller has already replaced the stale token
            self._token = None
            return await self._fetch()

    async def _fetch(self) -> str:
        failure: DarajaError = DarajaUnavailable("token request was not attempted")
        for attempt in range(self._retry.attempts):
            if attempt:
                await self._retry.wait(attempt - 1)
            started = self._clock()
            try:
                response = await self._http.get(
                    TOKEN_PATH,
                    params={"grant_type": "client_credentials"},
                    auth=self._credentials,
                )
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                logger.warning("daraja token request failed: %s", type(exc).__name__)
                failure = DarajaUnavailable(f"token request failed: {type(exc).__name__}")
                failure.__cause__ = exc
                continue
            if response.status_code >= 500:
                logger.warning("daraja token request answered HTTP %s", response.status_code)
                failure = api_error(Operation.TOKEN, response)
                continue
            if response.status_code in (400, 401, 403):
                raise DarajaAuthError(response.status_code)
            if response.status_code != 200:
                raise api_error(Operation.TOKEN, response)
            return self._store(response, started)
        raise failure

    def _store(self, response: httpx.Response, started: float) -> str:
        body = json_object(response)
        if body is None:
            raise DarajaProtocolError("token answer is not a JSON object")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise DarajaProtocolError("token answer has no access_token")
        lifetime = _parse_expires_in(body.get("expires_in"))
        # Refresh a margin early, but never so early that a short-lived token is never used.
        margin = min(self._refresh_margin, lifetime / 2)
        self._token = token
        self._expires_at = started + lifetime - margin
        logger.info("daraja access token obtained, valid for %.0f s", lifetime)
        return token


class DarajaAuth(httpx.Auth):
    """Bearer authentication from a shared TokenCache; on ``404.001.03`` refreshes and resends once.

    Resending is safe: a request refused for its token was not processed.
    """

    def __init__(self, tokens: TokenCache) -> None:
        self._tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Refuse to be used by a synchronous client: the token cache is asyncio-only."""
        raise RuntimeError("DarajaAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Send ``request`` with the shared token; refresh and resend once if Daraja refuses it."""
        token = await self._tokens.get()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        await response.aread()  # httpx leaves reading the body to the auth flow
        if error_code_of(response) == ErrorCode.INVALID_ACCESS_TOKEN:
            logger.info("daraja refused the access token; refreshing it once")
            token = await self._tokens.refresh(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
