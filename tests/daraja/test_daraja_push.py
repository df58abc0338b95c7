"""STK push: the request sent, the answer read, errors mapped, and when a push is resent."""

from __future__ import annotations

import logging

import httpx
import pytest

from daraja.client import DarajaClient
from daraja.config import DarajaConfig, Secret, TransactionType
from daraja.errors import DarajaApiError, DarajaUnavailable, Operation, PushOutcomeUnknown
from daraja.models import StkPushAccepted
from daraja.retry import RetryPolicy
from tests.daraja.fakes import (
    CALLBACK_URL,
    CONSUMER_SECRET,
    PASSKEY,
    PUSH_PATH,
    TOKEN_PATH,
    FakeDaraja,
    daraja_error,
)


async def push(client: DarajaClient, phone: str = "0712345678") -> StkPushAccepted:
    return await client.stk_push(phone, 150, "WW-1001", "Laundry", CALLBACK_URL)


class TestRequest:
    async def test_paybill_push_sends_every_field(
        self, fake: FakeDaraja, client: DarajaClient
    ) -> None:
        await push(client, "+254 712 345 678")
        body = fake.bodies(PUSH_PATH)[0]
        assert body["TransactionType"] == "CustomerPayBillOnline"
        assert body["Amount"] == 150
        assert body["PartyA"] == body["PhoneNumber"] == "254712345678"
        assert body["PartyB"] == body["BusinessShortCode"] == "174379"
        assert body["CallBackURL"] == CALLBACK_URL
        assert body["AccountReference"] == "WW-1001"
        assert body["TransactionDesc"] == "Laundry"
        assert set(body) >= {"Password", "Timestamp"}
        headers = next(r.headers for r in fake.requests if r.url.path == PUSH_PATH)
        assert headers["Authorization"] == "Bearer token-1"

    async def test_till_push_uses_buy_goods_and_the_till_number(
        self, fake: FakeDaraja, http: httpx.AsyncClient, retry: RetryPolicy
    ) -> None:
        till = DarajaConfig(
            "key", Secret("s"), "174379", Secret("p"), TransactionType.TILL, party_b="5551234"
        )
        await push(DarajaClient(http, till, retry=retry))
        body = fake.bodies(PUSH_PATH)[0]
        assert body["TransactionType"] == "CustomerBuyGoodsOnline"
        assert body["BusinessShortCode"] == "174379"
        assert body["PartyB"] == "5551234"


class TestAnswer:
    async def test_accepted_push_returns_its_ids(self, client: DarajaClient) -> None:
        accepted = await push(client)
        assert accepted == StkPushAccepted(
            merchant_request_id="m-1",
            checkout_request_id="ws_CO_1",
            response_code="0",
            response_description="Success. Request accepted for processing",
            customer_message="Success. Request accepted for processing",
        )

    @pytest.mark.parametrize(
        ("answer", "flag"),
        [
            (daraja_error(400, "400.002.02", "Bad Request - Invalid Amount"), "is_bad_request"),
            (
                daraja_error(500, "500.001.1001", "Unable to lock subscriber"),
                "is_subscriber_locked",
            ),
            (daraja_error(500, "500.003.02", "System is busy"), "is_system_busy"),
            (daraja_error(500, "500.003.03", "Quota exceeded"), "is_quota_exceeded"),
        ],
    )
    async def test_refusals_become_one_typed_error_and_are_not_resent(
        self, fake: FakeDaraja, client: DarajaClient, answer: httpx.Response, flag: str
    ) -> None:
        fake.push_answers.append(answer)
        with pytest.raises(DarajaApiError) as caught:
            await push(client)
        error = caught.value
        assert error.operation is Operation.STK_PUSH
        assert error.status == answer.status_code
        assert error.error_code == answer.json()["errorCode"]
        assert error.error_message == answer.json()["errorMessage"]
        assert error.request_id == "req-1"
        assert getattr(error, flag) is True
        assert fake.count(PUSH_PATH) == 1

    async def test_a_nonzero_response_code_is_a_refusal(
        self, fake: FakeDaraja, client: DarajaClient
    ) -> None:
        fake.push_answers.append(
            httpx.Response(200, json={"ResponseCode": "1", "ResponseDescription": "Rejected"})
        )
        with pytest.raises(DarajaApiError) as caught:
            await push(client)
        assert (caught.value.status, caught.value.error_code) == (200, "1")

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(502, text="<html>Bad Gateway</html>"),
            httpx.Response(504, text=""),
            httpx.Response(200, text="not json"),
            httpx.Response(200, json={"ResponseCode": "0"}),  # accepted, but which checkout?
            httpx.Response(200, json=["a list"]),
        ],
    )
    async def test_an_answer_that_does_not_say_is_outcome_unknown_and_not_resent(
        self, fake: FakeDaraja, client: DarajaClient, answer: httpx.Response
    ) -> None:
        fake.push_answers.append(answer)
        with pytest.raises(PushOutcomeUnknown):
            await push(client)
        assert fake.count(PUSH_PATH) == 1


class TestResending:
    @pytest.mark.parametrize(
        "failure",
        [
            httpx.ReadTimeout("read timed out"),
            httpx.WriteTimeout("write timed out"),
            httpx.RemoteProtocolError("server disconnected without an answer"),
            httpx.ReadError("connection reset"),
        ],
    )
    async def test_a_push_that_may_have_arrived_is_never_sent_twice(
        self, fake: FakeDaraja, client: DarajaClient, failure: Exception
    ) -> None:
        fake.push_answers.append(failure)
        with pytest.raises(PushOutcomeUnknown):
            await push(client)
        assert fake.count(PUSH_PATH) == 1

    @pytest.mark.parametrize(
        "failure",
        [
            httpx.ConnectError("connection refused"),
            httpx.ConnectTimeout("connect timed out"),
            httpx.PoolTimeout("no free connection"),
        ],
    )
    async def test_a_push_that_never_left_is_sent_again_after_a_backoff(
        self, fake: FakeDaraja, client: DarajaClient, sleeps: list[float], failure: Exception
    ) -> None:
        fake.push_answers.append(failure)
        accepted = await push(client)
        assert accepted.checkout_request_id == "ws_CO_2"
        assert fake.count(PUSH_PATH) == 2
        assert sleeps == [0.1]

    async def test_a_push_that_never_leaves_ends_unavailable_after_bounded_tries(
        self, fake: FakeDaraja, client: DarajaClient, sleeps: list[float]
    ) -> None:
        fake.push_answers.extend(httpx.ConnectError("refused") for _ in range(5))
        with pytest.raises(DarajaUnavailable):
            await push(client)
        assert fake.count(PUSH_PATH) == 3
        assert sleeps == [0.1, 0.2]

    async def test_a_push_refused_for_its_token_is_resent_once_with_a_new_token(
        self, fake: FakeDaraja, client: DarajaClient
    ) -> None:
        await push(client)
        fake.revoke()  # another process fetched a token, which invalidated ours
        accepted = await push(client, "0722000000")
        assert accepted.checkout_request_id == "ws_CO_3"
        assert fake.count(TOKEN_PATH) == 2
        assert fake.count(PUSH_PATH) == 3
        last_auth = [r.headers["Authorization"] for r in fake.requests][-1]
        assert last_auth == "Bearer token-2"

    async def test_a_token_refused_twice_is_an_invalid_token_error(
        self, fake: FakeDaraja, client: DarajaClient
    ) -> None:
        await push(client)
        fake.revoke()
        fake.push_answers.append(daraja_error(404, "404.001.03", "Invalid Access Token"))
        # The fake answers the first push with 404 by itself; the resend gets the queued 404.
        with pytest.raises(DarajaApiError) as caught:
            await push(client)
        assert caught.value.is_invalid_token
        assert fake.count(TOKEN_PATH) == 2
        assert fake.count(PUSH_PATH) == 3


async def test_logs_mask_the_phone_and_never_show_secrets(
    fake: FakeDaraja, client: DarajaClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.push_answers.append(httpx.ConnectError("refused"))
    await push(client)
    fake.revoke()
    fake.push_answers.append(httpx.ReadTimeout("timed out"))
    with pytest.raises(PushOutcomeUnknown):
        await push(client)
    text = caplog.text
    assert "2547****5678" in text
    assert "254712345678" not in text
    password = fake.bodies(PUSH_PATH)[0]["Password"]
    for secret in (CONSUMER_SECRET, PASSKEY, password, "token-1", "token-2"):
        assert secret not in text
