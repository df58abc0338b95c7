"""The Africa's Talking SMS client and the USSD outbox sender, against an in-memory fake API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from checkout.conversation.model import Button, Reply, reply_to_payload
from checkout.domain.records import Channel
from checkout.outbox.ports import DeliveryFailed
from sms import (
    AfricasTalkingSms,
    SmsConfig,
    SmsRejected,
    SmsSender,
    SmsUnavailable,
    build_sms_http_client,
)

API_KEY = "atsk_secret_key_never_logged_0123456789"
PHONE = "+254712345678"

Answer = Callable[[httpx.Request], httpx.Response]


def recipient(code: int, status: str = "Success") -> dict[str, Any]:
    return {
        "statusCode": code,
        "number": PHONE,
        "status": status,
        "cost": "KES 0.8000",
        "messageId": "ATXid_1",
    }


def accepted(code: int = 101, status: str = "Success") -> Answer:
    body = {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
            "Recipients": [recipient(code, status)],
        }
    }
    return lambda _request: httpx.Response(201, json=body)


class FakeAfricasTalking:
    """Answers SMS requests as told; records each request's form and headers."""

    def __init__(self) -> None:
        self.answer: Answer = accepted()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def form(self, index: int = -1) -> dict[str, str]:
        fields = parse_qs(self.requests[index].content.decode(), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}


@pytest.fixture
def fake() -> FakeAfricasTalking:
    return FakeAfricasTalking()


@pytest.fixture
async def client(fake: FakeAfricasTalking) -> AfricasTalkingSms:
    http = build_sms_http_client(
        "https://api.sandbox.africastalking.com/", transport=httpx.MockTransport(fake)
    )
    return AfricasTalkingSms(http, SmsConfig("sandbox", API_KEY, sender_id="WILDWASH"))


class TestRequest:
    async def test_posts_the_form_with_the_api_key_header(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        await client.send(PHONE, "Paid: KES 1,500")
        request = fake.requests[0]
        assert request.method == "POST"
        assert str(request.url) == "https://api.sandbox.africastalking.com/version1/messaging"
        assert request.headers["apiKey"] == API_KEY
        assert request.headers["Accept"] == "application/json"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert fake.form() == {
            "username": "sandbox",
            "to": PHONE,
            "message": "Paid: KES 1,500",
            "from": "WILDWASH",
        }

    async def test_without_a_sender_id_no_from_is_sent(self, fake: FakeAfricasTalking) -> None:
        http = build_sms_http_client(
            "https://api.africastalking.com", transport=httpx.MockTransport(fake)
        )
        await AfricasTalkingSms(http, SmsConfig("wildwash", API_KEY)).send(PHONE, "Hi")
        assert "from" not in fake.form()

    def test_the_api_key_stays_out_of_reprs(self) -> None:
        assert API_KEY not in repr(SmsConfig("sandbox", API_KEY))

    def test_the_client_has_explicit_timeouts(self) -> None:
        http = build_sms_http_client("https://api.africastalking.com")
        assert http.timeout.read == 15.0
        assert http.timeout.connect == 5.0


class TestAnswers:
    @pytest.mark.parametrize(
        ("code", "status"), [(100, "Processed"), (101, "Success"), (102, "Queued")]
    )
    async def test_accepted_codes_are_success(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, code: int, status: str
    ) -> None:
        fake.answer = accepted(code, status)
        sent = await client.send(PHONE, "Hi")
        assert (sent.status_code, sent.status, sent.message_id) == (code, status, "ATXid_1")

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (401, "RiskHold"),
            (403, "InvalidPhoneNumber"),
            (404, "UnsupportedNumberType"),
            (406, "UserInBlacklist"),
            (409, "DoNotDisturbRejection"),
        ],
    )
    async def test_codes_that_can_never_succeed_are_rejections(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, code: int, status: str
    ) -> None:
        fake.answer = accepted(code, status)
        with pytest.raises(SmsRejected) as raised:
            await client.send(PHONE, "Hi")
        assert raised.value.status_code == code
        assert status in raised.value.detail

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (402, "InvalidSenderId"),
            (405, "InsufficientBalance"),
            (407, "CouldNotRoute"),
            (500, "InternalServerError"),
            (501, "GatewayError"),
            (502, "RejectedByGateway"),
            (499, "SomethingNew"),
        ],
    )
    async def test_other_codes_are_worth_another_try(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, code: int, status: str
    ) -> None:
        fake.answer = accepted(code, status)
        with pytest.raises(SmsUnavailable) as raised:
            await client.send(PHONE, "Hi")
        assert raised.value.status_code == code

    @pytest.mark.parametrize("status", [500, 502, 503, 429])
    async def test_gateway_errors_are_worth_another_try(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, status: int
    ) -> None:
        fake.answer = lambda _request: httpx.Response(status, text="<html>oops</html>")
        with pytest.raises(SmsUnavailable):
            await client.send(PHONE, "Hi")

    async def test_a_malformed_request_is_rejected(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        fake.answer = lambda _request: httpx.Response(
            400, text="Invalid phone number +254712345678"
        )
        with pytest.raises(SmsRejected) as raised:
            await client.send(PHONE, "Hi")
        assert "2547****5678" in raised.value.detail
        assert "254712345678" not in raised.value.detail

    @pytest.mark.parametrize(
        "body",
        [
            {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}},
            {"SMSMessageData": {"Recipients": [{"status": "Success"}]}},
            ["not", "an", "object"],
        ],
    )
    async def test_an_answer_without_a_recipient_status_is_worth_another_try(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, body: object
    ) -> None:
        fake.answer = lambda _request: httpx.Response(201, json=body)
        with pytest.raises(SmsUnavailable):
            await client.send(PHONE, "Hi")

    async def test_refused_credentials_are_logged_without_the_key(
        self,
        client: AfricasTalkingSms,
        fake: FakeAfricasTalking,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        fake.answer = lambda _request: httpx.Response(
            401, text="The supplied authentication is invalid"
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(SmsUnavailable):
            await client.send(PHONE, "Hi")
        assert "AT_API_KEY" in caplog.text
        assert API_KEY not in caplog.text

    @pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
    async def test_transport_errors_are_worth_another_try(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking, error: httpx.HTTPError
    ) -> None:
        def fail(_request: httpx.Request) -> httpx.Response:
            raise error

        fake.answer = fail
        with pytest.raises(SmsUnavailable) as raised:
            await client.send(PHONE, "Hi")
        assert API_KEY not in raised.value.detail


class TestSender:
    async def test_sends_the_text_to_the_chats_phone_without_buttons(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        reply = Reply("Not paid: KES 1,500. Try again.", buttons=((Button("Try again", "retry"),),))
        await SmsSender(client).send(Channel.USSD, "254712345678", reply_to_payload(reply))
        assert fake.form()["to"] == PHONE
        assert fake.form()["message"] == "Not paid: KES 1,500. Try again."

    async def test_sends_only_gsm_characters(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        payload = reply_to_payload(Reply("Asante \U0001f600 \u2013 it\u2019s paid"))
        await SmsSender(client).send(Channel.USSD, "254712345678", payload)
        assert fake.form()["message"] == "Asante ? - it's paid"

    async def test_a_rejection_is_given_up_and_an_outage_retried(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        sender = SmsSender(client)
        payload = reply_to_payload(Reply("Hi"))
        fake.answer = accepted(406, "UserInBlacklist")
        with pytest.raises(DeliveryFailed) as rejected:
            await sender.send(Channel.USSD, "254712345678", payload)
        assert rejected.value.retry_after is None
        fake.answer = lambda _request: httpx.Response(503, text="down")
        with pytest.raises(DeliveryFailed) as unavailable:
            await sender.send(Channel.USSD, "254712345678", payload)
        assert unavailable.value.retry_after == 0.0

    async def test_a_chat_that_is_not_a_phone_is_given_up(
        self, client: AfricasTalkingSms, fake: FakeAfricasTalking
    ) -> None:
        with pytest.raises(DeliveryFailed) as failed:
            await SmsSender(client).send(Channel.USSD, "terminal", reply_to_payload(Reply("Hi")))
        assert failed.value.retry_after is None
        assert fake.requests == []

    async def test_logs_mask_the_phone(
        self,
        client: AfricasTalkingSms,
        fake: FakeAfricasTalking,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            await SmsSender(client).send(
                Channel.USSD, "254712345678", reply_to_payload(Reply("Hi"))
            )
        assert "2547****5678" in caplog.text
        assert "254712345678" not in caplog.text
        assert API_KEY not in caplog.text
