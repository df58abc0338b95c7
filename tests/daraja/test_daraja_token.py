"""The access token: one request for many callers, refreshed before expiry and when refused."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from daraja.client import DarajaClient
from daraja.config import DarajaConfig, Secret
from daraja.errors import DarajaApiError, DarajaAuthError, DarajaProtocolError, DarajaUnavailable
from daraja.oauth import DarajaAuth, TokenCache
from daraja.retry import RetryPolicy
from lipa_testing.clocks import MonotonicClock
from tests.daraja.fakes import (
    CALLBACK_URL,
    PUSH_PATH,
    QUERY_PATH,
    TOKEN_PATH,
    FakeDaraja,
    daraja_error,
)


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
def tokens(http: httpx.AsyncClient, retry: RetryPolicy, clock: MonotonicClock) -> TokenCache:
    return TokenCache(http, "test-key", Secret("test-secret"), retry=retry, clock=clock)


async def test_token_request_uses_basic_auth_and_client_credentials(
    fake: FakeDaraja, tokens: TokenCache
) -> None:
    assert await tokens.get() == "token-1"
    request = fake.requests[0]
    assert request.method == "GET"
    assert request.url.params["grant_type"] == "client_credentials"
    expected = base64.b64encode(b"test-key:test-secret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


async def test_concurrent_callers_share_one_token_request(
    fake: FakeDaraja, tokens: TokenCache
) -> None:
    fake.token_delay = 0.02  # keep the first request in flight while the others arrive
    results = await asyncio.gather(*(tokens.get() for _ in range(200)))
    assert set(results) == {"token-1"}
    assert fake.count(TOKEN_PATH) == 1


async def test_200_concurrent_pushes_from_cold_start_make_one_token_request(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.token_delay = 0.02
    phones = [f"07{10_000_000 + i:08d}" for i in range(200)]
    accepted = await asyncio.gather(
        *(client.stk_push(phone, 10, "REF", "Desc", CALLBACK_URL) for phone in phones)
    )
    assert len({a.checkout_request_id for a in accepted}) == 200
    assert fake.count(TOKEN_PATH) == 1


@pytest.mark.parametrize("expires_in", ["3599", 3599, 3599.0])
async def test_token_is_reused_until_a_margin_before_expiry(
    fake: FakeDaraja, tokens: TokenCache, clock: MonotonicClock, expires_in: Any
) -> None:
    fake.expires_in = expires_in
    assert await tokens.get() == "token-1"
    clock.advance(3599 - 60 - 1)
    assert await tokens.get() == "token-1"
    clock.advance(2)
    assert await tokens.get() == "token-2"
    assert fake.count(TOKEN_PATH) == 2


async def test_a_short_lived_token_is_used_for_half_its_life(
    fake: FakeDaraja, tokens: TokenCache, clock: MonotonicClock
) -> None:
    fake.expires_in = "10"
    await tokens.get()
    clock.advance(4.9)
    assert await tokens.get() == "token-1"
    clock.advance(0.2)
    assert await tokens.get() == "token-2"


async def test_expired_token_is_refreshed_before_a_push(
    fake: FakeDaraja, http: httpx.AsyncClient, config: DarajaConfig, clock: MonotonicClock
) -> None:
    client = DarajaClient(http, config, monotonic=clock)
    await client.stk_push("0712345678", 10, "REF", "Desc", CALLBACK_URL)
    clock.advance(3600)
    await client.stk_push("0712345679", 10, "REF", "Desc", CALLBACK_URL)
    assert fake.count(TOKEN_PATH) == 2
    assert fake.count(PUSH_PATH) == 2  # refreshed ahead of time: no refused push


async def test_many_calls_refused_for_one_stale_token_cause_one_refresh(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    await client.stk_query("ws_CO_1")
    fake.revoke()
    fake.answer_delay = 0.02  # all 50 are in flight with the stale token together
    results = await asyncio.gather(*(client.stk_query("ws_CO_1") for _ in range(50)))
    assert len(results) == 50
    assert fake.count(TOKEN_PATH) == 2
    assert fake.count(QUERY_PATH) == 1 + 50 + 50


@pytest.mark.parametrize("answer", [httpx.Response(400, text=""), httpx.Response(401, text="")])
async def test_refused_credentials_are_an_auth_error_and_not_retried(
    fake: FakeDaraja, tokens: TokenCache, answer: httpx.Response
) -> None:
    fake.token_answers.append(answer)
    with pytest.raises(DarajaAuthError) as caught:
        await tokens.get()
    assert caught.value.status == answer.status_code
    assert "test-secret" not in str(caught.value)
    assert fake.count(TOKEN_PATH) == 1


async def test_refused_credentials_surface_from_a_push(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.token_answers.append(httpx.Response(400))
    with pytest.raises(DarajaAuthError):
        await client.stk_push("0712345678", 10, "REF", "Desc", CALLBACK_URL)
    assert fake.count(PUSH_PATH) == 0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(503, text="down"),
        daraja_error(500, "500.003.02", "System is busy"),
    ],
)
async def test_token_request_is_retried_on_transient_failures(
    fake: FakeDaraja, tokens: TokenCache, sleeps: list[float], failure: Any
) -> None:
    fake.token_answers.extend([failure, failure])
    assert await tokens.get() == "token-1"
    assert fake.count(TOKEN_PATH) == 3
    assert sleeps == [0.1, 0.2]


async def test_token_request_gives_up_after_bounded_tries(
    fake: FakeDaraja, tokens: TokenCache
) -> None:
    fake.token_answers.extend(httpx.ConnectError("refused") for _ in range(5))
    with pytest.raises(DarajaUnavailable):
        await tokens.get()
    fake.token_answers.clear()
    fake.token_answers.extend(httpx.Response(503) for _ in range(5))
    with pytest.raises(DarajaApiError) as caught:
        await tokens.get()
    assert caught.value.status == 503


@pytest.mark.parametrize(
    "body",
    [
        {"access_token": "t"},
        {"access_token": "t", "expires_in": "soon"},
        {"access_token": "t", "expires_in": 0},
        {"access_token": "t", "expires_in": True},
        {"access_token": "", "expires_in": "3599"},
        {"expires_in": "3599"},
        ["not", "an", "object"],
    ],
)
async def test_an_undocumented_token_answer_is_a_protocol_error(
    fake: FakeDaraja, tokens: TokenCache, body: Any
) -> None:
    fake.token_answers.append(httpx.Response(200, json=body))
    with pytest.raises(DarajaProtocolError):
        await tokens.get()


def test_the_bearer_auth_refuses_a_synchronous_client(tokens: TokenCache) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with httpx.Client(transport=transport) as sync, pytest.raises(RuntimeError, match="Async"):
        sync.get("https://example.com", auth=DarajaAuth(tokens))
