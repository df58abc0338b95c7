"""The simulator is as strict as Daraja: credentials, tokens, Password, Timestamp, field rules,
error shapes, callbacks, in-progress answers, faults and its own lifecycle."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from daraja.simulator import (
    CALLBACK_CONTENT_TYPE,
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_TILL,
    Endpoint,
    Fault,
    PendingStyle,
    SimulatorPhone,
    SimulatorServer,
    SimulatorSettings,
    create_simulator_app,
    serve_forever,
)
from lipa_testing.clocks import MonotonicClock
from tests.daraja.fakes import CallbackReceiver

TOKEN = "/oauth/v1/generate"
PUSH = "/mpesa/stkpush/v1/processrequest"
QUERY = "/mpesa/stkpushquery/v1/query"


def nairobi_stamp(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + timedelta(hours=3) + offset).strftime("%Y%m%d%H%M%S")


def signed(timestamp: str | None = None, shortcode: str = DEFAULT_SHORTCODE) -> dict[str, Any]:
    timestamp = timestamp or nairobi_stamp()
    password = base64.b64encode(f"{shortcode}{DEFAULT_PASSKEY}{timestamp}".encode()).decode()
    return {"BusinessShortCode": shortcode, "Password": password, "Timestamp": timestamp}


def push_body(callback_url: str = "https://example.com/cb", **changes: Any) -> dict[str, Any]:
    body = {
        **signed(),
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 10,
        "PartyA": SimulatorPhone.PAYS.value,
        "PartyB": DEFAULT_SHORTCODE,
        "PhoneNumber": SimulatorPhone.PAYS.value,
        "CallBackURL": callback_url,
        "AccountReference": "WW-1",
        "TransactionDesc": "Laundry",
    }
    body.update(changes)
    return body


class Raw:
    """Plain HTTP against the simulator, to see its answers as they are."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token = ""

    async def get_token(
        self, key: str = DEFAULT_CONSUMER_KEY, secret: str = DEFAULT_CONSUMER_SECRET
    ) -> httpx.Response:
        response = await self.http.get(
            TOKEN, params={"grant_type": "client_credentials"}, auth=(key, secret)
        )
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    async def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return await self.http.post(path, json=body, headers=headers)


@pytest.fixture
async def raw(simulator: SimulatorServer) -> AsyncIterator[Raw]:
    async with httpx.AsyncClient(base_url=simulator.base_url, timeout=2.0) as http:
        raw = Raw(http)
        await raw.get_token()
        yield raw


def assert_error(
    response: httpx.Response, status: int, code: str, message: str | None = None
) -> None:
    body = response.json()
    assert response.status_code == status
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    assert body["errorCode"] == code
    if message is not None:
        assert body["errorMessage"] == message


class TestOAuth:
    async def test_token_answer_has_expires_in_as_a_string(self, raw: Raw) -> None:
        response = await raw.get_token()
        assert response.json()["expires_in"] == "3599"
        assert response.json()["access_token"]

    async def test_expires_in_can_be_a_number(self) -> None:
        async with (
            SimulatorServer(SimulatorSettings(expires_in_as_number=True)) as server,
            httpx.AsyncClient(base_url=server.base_url) as http,
        ):
            response = await Raw(http).get_token()
        assert response.json()["expires_in"] == 3599

    @pytest.mark.parametrize(
        ("key", "secret"),
        [("wrong", DEFAULT_CONSUMER_SECRET), (DEFAULT_CONSUMER_KEY, "wrong"), ("", "")],
    )
    async def test_bad_credentials_get_400_with_an_empty_body(
        self, raw: Raw, key: str, secret: str
    ) -> None:
        response = await raw.get_token(key, secret)
        assert (response.status_code, response.content) == (400, b"")

    async def test_missing_grant_type_or_basic_auth_gets_400(self, raw: Raw) -> None:
        no_grant = await raw.http.get(TOKEN, auth=(DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET))
        no_auth = await raw.http.get(TOKEN, params={"grant_type": "client_credentials"})
        assert no_grant.status_code == no_auth.status_code == 400

    async def test_a_new_token_invalidates_the_previous_one(
        self, raw: Raw, simulator: SimulatorServer
    ) -> None:
        first = raw.token
        await raw.get_token()
        assert first != raw.token
        assert_error(await raw.post(PUSH, push_body(), token=first), 404, "404.001.03")
        assert (await raw.post(PUSH, push_body())).status_code == 200
        assert simulator.daraja.counters.tokens_issued == 2

    async def test_an_expired_token_is_refused(self) -> None:
        clock = MonotonicClock()
        settings = SimulatorSettings(token_lifetime=60)
        async with (
            SimulatorServer(settings, monotonic=clock) as server,
            httpx.AsyncClient(base_url=server.base_url) as http,
        ):
            raw = Raw(http)
            await raw.get_token()
            clock.advance(61)
            assert_error(await raw.post(PUSH, push_body()), 404, "404.001.03")

    async def test_a_revoked_token_is_refused(self, raw: Raw, simulator: SimulatorServer) -> None:
        simulator.daraja.revoke_token()
        assert_error(await raw.post(PUSH, push_body()), 404, "404.001.03", "Invalid Access Token")

    async def test_a_missing_bearer_is_refused(self, raw: Raw) -> None:
        response = await raw.http.post(PUSH, json=push_body())
        assert_error(response, 404, "404.001.04")


class TestPushRules:
    async def test_a_valid_push_is_accepted(self, raw: Raw) -> None:
        response = await raw.post(PUSH, push_body())
        body = response.json()
        assert response.status_code == 200
        assert body["ResponseCode"] == "0"
        assert body["CheckoutRequestID"].startswith("ws_CO_")
        assert set(body) == {
            "MerchantRequestID",
            "CheckoutRequestID",
            "ResponseCode",
            "ResponseDescription",
            "CustomerMessage",
        }

    @pytest.mark.parametrize(
        "changes",
        [
            {"Amount": "10"},
            {"Amount": 10.0},
            {"PartyA": int(SimulatorPhone.PAYS), "PhoneNumber": int(SimulatorPhone.PAYS)},
            {"BusinessShortCode": int(DEFAULT_SHORTCODE), "PartyB": int(DEFAULT_SHORTCODE)},
            {"TransactionType": "CustomerBuyGoodsOnline", "PartyB": DEFAULT_TILL},
            {"CallBackURL": "http://example.com/cb"},
            {"AccountReference": "x" * 12, "TransactionDesc": "y" * 13},
        ],
    )
    async def test_numbers_may_come_as_strings_or_numbers_as_on_daraja(
        self, raw: Raw, changes: dict[str, Any]
    ) -> None:
        assert (await raw.post(PUSH, push_body(**changes))).status_code == 200

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"BusinessShortCode": "600000"}, "BusinessShortCode"),
            ({"Timestamp": "2024-01-01 12:00"}, "Timestamp"),
            ({"Timestamp": "20241301120000"}, "Timestamp"),
            ({"TransactionType": "CustomerPayBill"}, "TransactionType"),
            ({"Amount": 0}, "Amount"),
            ({"Amount": 250_001}, "Amount"),
            ({"Amount": 1.5}, "Amount"),
            ({"Amount": True}, "Amount"),
            ({"Amount": "ten"}, "Amount"),
            ({"PartyA": "0712345678"}, "PartyA"),
            ({"PartyA": "254812345678"}, "PartyA"),
            ({"PartyB": "999999"}, "PartyB"),
            ({"TransactionType": "CustomerBuyGoodsOnline"}, "PartyB"),  # PartyB not a till
            ({"PhoneNumber": "+254712345678"}, "PhoneNumber"),
            ({"PhoneNumber": None}, "PhoneNumber"),
            ({"CallBackURL": "ftp://example.com/cb"}, "CallBackURL"),
            ({"CallBackURL": "example.com/cb"}, "CallBackURL"),
            ({"AccountReference": "x" * 13}, "AccountReference"),
            ({"AccountReference": ""}, "AccountReference"),
            ({"TransactionDesc": "y" * 14}, "TransactionDesc"),
            ({"TransactionDesc": 5}, "TransactionDesc"),
        ],
    )
    async def test_a_field_breaking_a_rule_is_refused_naming_it(
        self, raw: Raw, changes: dict[str, Any], field: str
    ) -> None:
        response = await raw.post(PUSH, push_body(**changes))
        assert_error(response, 400, "400.002.02", f"Bad Request - Invalid {field}")

    @pytest.mark.parametrize(
        "offset",
        [timedelta(hours=-3), timedelta(hours=-8), timedelta(minutes=10)],
        ids=["utc", "new-york", "ten-minutes-ahead"],
    )
    async def test_a_timestamp_not_in_nairobi_time_is_refused(
        self, raw: Raw, offset: timedelta
    ) -> None:
        response = await raw.post(PUSH, push_body(**signed(nairobi_stamp(offset))))
        assert_error(response, 400, "400.002.02", "Bad Request - Invalid Timestamp")

    async def test_a_password_not_matching_timestamp_is_wrong_credentials(self, raw: Raw) -> None:
        body = push_body()
        body["Timestamp"] = nairobi_stamp(timedelta(seconds=-5))  # valid, but not the signed one
        assert_error(await raw.post(PUSH, body), 500, "500.001.1001", "Wrong credentials")

    async def test_a_body_that_is_not_json_is_refused(self, raw: Raw) -> None:
        response = await raw.http.post(
            PUSH, content=b"{", headers={"Authorization": f"Bearer {raw.token}"}
        )
        assert_error(response, 400, "400.002.02")

    async def test_a_second_push_to_a_phone_with_an_open_prompt_cannot_lock_it(
        self, raw: Raw
    ) -> None:
        phone = SimulatorPhone.HOLDS_PROMPT.value
        first = await raw.post(PUSH, push_body(PartyA=phone, PhoneNumber=phone))
        second = await raw.post(PUSH, push_body(PartyA=phone, PhoneNumber=phone))
        assert first.status_code == 200
        assert_error(second, 500, "500.001.1001")
        assert "lock subscriber" in second.json()["errorMessage"]

    async def test_the_always_locked_phone_is_always_refused(self, raw: Raw) -> None:
        phone = SimulatorPhone.ALWAYS_LOCKED.value
        response = await raw.post(PUSH, push_body(PartyA=phone, PhoneNumber=phone))
        assert_error(response, 500, "500.001.1001")


class TestCallbacks:
    async def test_a_success_callback_has_daraja_s_exact_shape(
        self, raw: Raw, receiver: CallbackReceiver
    ) -> None:
        accepted = (await raw.post(PUSH, push_body(receiver.url, Amount=25))).json()
        content_type, body = await receiver.next()
        assert content_type == CALLBACK_CONTENT_TYPE == "application/json;charset=UTF-8"
        assert b'"Value": 25.00' in body  # a float written as 25.00, as Daraja does
        callback = json.loads(body)["Body"]["stkCallback"]
        assert callback["CheckoutRequestID"] == accepted["CheckoutRequestID"]
        assert callback["MerchantRequestID"] == accepted["MerchantRequestID"]
        assert callback["ResultCode"] == 0
        items = {item["Name"]: item for item in callback["CallbackMetadata"]["Item"]}
        assert set(items) == {
            "Amount",
            "MpesaReceiptNumber",
            "Balance",
            "TransactionDate",
            "PhoneNumber",
        }
        assert "Value" not in items["Balance"]
        assert isinstance(items["Amount"]["Value"], float)
        assert isinstance(items["TransactionDate"]["Value"], int)
        assert items["PhoneNumber"]["Value"] == int(SimulatorPhone.PAYS)
        assert len(items["MpesaReceiptNumber"]["Value"]) == 10

    async def test_a_failure_callback_has_no_metadata(
        self, raw: Raw, receiver: CallbackReceiver
    ) -> None:
        phone = SimulatorPhone.CANCELS.value
        await raw.post(PUSH, push_body(receiver.url, PartyA=phone, PhoneNumber=phone))
        callback = json.loads((await receiver.next())[1])["Body"]["stkCallback"]
        assert callback["ResultCode"] == 1032
        assert "CallbackMetadata" not in callback

    async def test_item_order_varies(
        self, raw: Raw, receiver: CallbackReceiver, simulator: SimulatorServer
    ) -> None:
        simulator.daraja.callback_delay = 0
        orders = set()
        for index in range(8):
            phone = f"2547100000{index:02d}"
            await raw.post(PUSH, push_body(receiver.url, PartyA=phone, PhoneNumber=phone))
            callback = json.loads((await receiver.next())[1])["Body"]["stkCallback"]
            orders.add(tuple(item["Name"] for item in callback["CallbackMetadata"]["Item"]))
        assert len(orders) > 1

    async def test_a_callback_can_be_delivered_twice(
        self, raw: Raw, receiver: CallbackReceiver, simulator: SimulatorServer
    ) -> None:
        simulator.daraja.callback_copies = 2
        await raw.post(PUSH, push_body(receiver.url))
        first, second = await receiver.next(), await receiver.next()
        assert first == second

    async def test_a_callback_can_be_lost_while_the_query_still_knows(
        self, raw: Raw, receiver: CallbackReceiver, simulator: SimulatorServer
    ) -> None:
        simulator.daraja.callback_copies = 0
        accepted = (await raw.post(PUSH, push_body(receiver.url))).json()
        checkout_id = accepted["CheckoutRequestID"]
        await asyncio.sleep(0.1)
        assert receiver.received.empty()
        answer = await raw.post(QUERY, {**signed(), "CheckoutRequestID": checkout_id})
        assert answer.json()["ResultCode"] == "0"

    async def test_a_failed_delivery_is_recorded_not_raised(
        self, raw: Raw, simulator: SimulatorServer
    ) -> None:
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        await raw.post(PUSH, push_body(f"http://127.0.0.1:{port}/cb/secret-part"))
        async with asyncio.timeout(3):
            sent = await simulator.daraja.wait_for_callbacks(1)
        assert not sent[0].delivered
        assert sent[0].error
        assert (await raw.post(PUSH, push_body(PartyA="254710000001"))).status_code == 200

    async def test_sent_callbacks_are_recorded(
        self, raw: Raw, receiver: CallbackReceiver, simulator: SimulatorServer
    ) -> None:
        accepted = (await raw.post(PUSH, push_body(receiver.url))).json()
        async with asyncio.timeout(3):
            (sent,) = await simulator.daraja.wait_for_callbacks(1)
        assert sent.delivered
        assert sent.status == 200
        assert sent.checkout_request_id == accepted["CheckoutRequestID"]
        assert sent.body == (await receiver.next())[1]


class TestQuery:
    async def test_in_progress_alternates_both_shapes_then_gives_the_result_as_a_string(
        self, raw: Raw, simulator: SimulatorServer, receiver: CallbackReceiver
    ) -> None:
        phone = SimulatorPhone.HOLDS_PROMPT.value
        accepted = await raw.post(PUSH, push_body(receiver.url, PartyA=phone, PhoneNumber=phone))
        query = {**signed(), "CheckoutRequestID": accepted.json()["CheckoutRequestID"]}
        first, second = await raw.post(QUERY, query), await raw.post(QUERY, query)
        assert_error(first, 500, "500.001.1001", "The transaction is being processed")
        assert (second.status_code, second.json()["ResultCode"]) == (200, "4999")
        await simulator.daraja.settle_phone(phone, 2001)
        final = await raw.post(QUERY, query)
        assert final.status_code == 200
        assert (final.json()["ResultCode"], final.json()["ResponseCode"]) == ("2001", "0")
        assert json.loads((await receiver.next())[1])["Body"]["stkCallback"]["ResultCode"] == 2001

    @pytest.mark.parametrize("style", [PendingStyle.HTTP_500, PendingStyle.RESULT_4999])
    async def test_one_in_progress_shape_can_be_chosen(self, style: PendingStyle) -> None:
        phone = SimulatorPhone.HOLDS_PROMPT.value
        async with (
            SimulatorServer(SimulatorSettings(pending_style=style)) as server,
            httpx.AsyncClient(base_url=server.base_url) as http,
        ):
            raw = Raw(http)
            await raw.get_token()
            accepted = await raw.post(PUSH, push_body(PartyA=phone, PhoneNumber=phone))
            query = {**signed(), "CheckoutRequestID": accepted.json()["CheckoutRequestID"]}
            statuses = {(await raw.post(QUERY, query)).status_code for _ in range(3)}
        assert statuses == ({500} if style is PendingStyle.HTTP_500 else {200})

    async def test_an_unknown_checkout_id_is_refused(self, raw: Raw) -> None:
        response = await raw.post(QUERY, {**signed(), "CheckoutRequestID": "ws_CO_nope"})
        assert_error(response, 400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")

    async def test_a_query_is_held_to_the_same_password_rule(self, raw: Raw) -> None:
        query = {**signed(), "CheckoutRequestID": "ws_CO_1", "Password": "d3Jvbmc="}
        assert_error(await raw.post(QUERY, query), 500, "500.001.1001", "Wrong credentials")

    async def test_settling_an_unknown_prompt_is_a_key_error(
        self, simulator: SimulatorServer
    ) -> None:
        with pytest.raises(KeyError):
            await simulator.daraja.settle("ws_CO_nope")


class TestFaults:
    async def test_system_busy_has_daraja_s_shape(
        self, raw: Raw, simulator: SimulatorServer
    ) -> None:
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.SYSTEM_BUSY)
        assert_error(await raw.post(PUSH, push_body()), 500, "500.003.02")
        assert (await raw.post(PUSH, push_body())).status_code == 200  # used once only

    async def test_server_error_is_an_html_503(self, raw: Raw, simulator: SimulatorServer) -> None:
        simulator.daraja.faults.add(Endpoint.STK_QUERY, Fault.SERVER_ERROR, times=None)
        for _ in range(2):
            response = await raw.post(QUERY, {**signed(), "CheckoutRequestID": "x"})
            assert response.status_code == 503
            assert response.headers["Content-Type"].startswith("text/html")
        simulator.daraja.faults.clear()
        assert_error(
            await raw.post(QUERY, {**signed(), "CheckoutRequestID": "x"}), 400, "400.002.02"
        )

    async def test_token_faults_apply_to_the_token_endpoint(
        self, raw: Raw, simulator: SimulatorServer
    ) -> None:
        simulator.daraja.faults.add(Endpoint.TOKEN, Fault.SERVER_ERROR)
        assert (await raw.get_token()).status_code == 503
        assert (await raw.get_token()).status_code == 200

    async def test_accept_then_hang_is_for_pushes_only(self, simulator: SimulatorServer) -> None:
        with pytest.raises(ValueError, match="stk_push"):
            simulator.daraja.faults.add(Endpoint.STK_QUERY, Fault.ACCEPT_THEN_HANG)

    async def test_a_hanging_request_ends_when_the_simulator_stops(self) -> None:
        server = SimulatorServer(SimulatorSettings(hang_seconds=60), shutdown_timeout=5)
        await server.start()
        server.daraja.faults.add(Endpoint.TOKEN, Fault.HANG)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            request = asyncio.create_task(Raw(http).get_token())
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await server.stop()
            assert time.monotonic() - started < 1.0
            assert (await request).status_code == 504


class TestLifecycle:
    async def test_stopping_cancels_pending_settlements(self, receiver: CallbackReceiver) -> None:
        async with (
            SimulatorServer(SimulatorSettings(callback_delay=30)) as server,
            httpx.AsyncClient(base_url=server.base_url) as http,
        ):
            raw = Raw(http)
            await raw.get_token()
            assert (await raw.post(PUSH, push_body(receiver.url))).status_code == 200
        assert server.daraja.open_prompts()
        assert server.daraja.callbacks == []

    async def test_the_app_factory_serves_daraja_s_routes(self, aiohttp_client: Any) -> None:
        client = await aiohttp_client(create_simulator_app(SimulatorSettings()))
        basic = base64.b64encode(f"{DEFAULT_CONSUMER_KEY}:{DEFAULT_CONSUMER_SECRET}".encode())
        response = await client.get(
            TOKEN,
            params={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic.decode()}"},
        )
        assert response.status == 200
        assert (await response.json())["expires_in"] == "3599"

    async def test_serve_forever_listens_until_cancelled(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        task = asyncio.create_task(serve_forever("127.0.0.1", port))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                for _ in range(100):
                    try:
                        response = await Raw(http).get_token()
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.02)
                assert response.status_code == 200
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    async def test_counters_count_requests(self, raw: Raw, simulator: SimulatorServer) -> None:
        await raw.post(PUSH, push_body())
        await raw.post(PUSH, push_body(Amount=0))
        await raw.post(QUERY, {**signed(), "CheckoutRequestID": "x"})
        counters = simulator.daraja.counters
        assert (counters.token_requests, counters.push_requests) == (1, 2)
        assert (counters.pushes_accepted, counters.query_requests) == (1, 1)

    def test_settings_refuse_a_till_without_a_store(self) -> None:
        with pytest.raises(ValueError, match="till"):
            SimulatorSettings(tills={"5551234": "000000"})
