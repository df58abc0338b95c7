"""Every callback body is kept; odd ones get a 4xx, not a 500; kept ones replay after a fix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from checkout.domain.records import (
    BodyStatus,
    Channel,
    KeptBody,
    Order,
    Payment,
    PaymentStatus,
    ReceivedBody,
)
from checkout.payments.batching import SettlementBatcher
from checkout.payments.gateway import PaymentResult
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService, StaffChat
from checkout.payments.unit import UnitOfWork
from storage.models import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app
from webhook.mpesa import SourceCheck, replay_callback

SECRET = "s3cret-path"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
PATH = f"/mpesa/callback/{SECRET}"
STAFF = StaffChat("staff-room")

Units = Callable[[], SqlUnitOfWork]


def success(checkout_id: str = "ws_CO_1") -> dict[str, Any]:
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "29115-34620561-1",
                "CheckoutRequestID": checkout_id,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 1500},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "TransactionDate", "Value": 20191219102115},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    }


# A real production body: the shortcode's transaction type or PartyB is wrong.
OPERATOR_MISSING = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a71964143",
            "CheckoutRequestID": "ws_CO_1",
            "ResultCode": "SFC_IC0003",
            "ResultDesc": "The operator does not exist",
        }
    }
}


def with_field(name: str, value: Any) -> bytes:
    data = success()
    data["Body"]["stkCallback"][name] = value
    return json.dumps(data).encode()


def with_item(name: str, value: Any) -> bytes:
    data = success()
    for item in data["Body"]["stkCallback"]["CallbackMetadata"]["Item"]:
        if item["Name"] == name:
            item["Value"] = value
    return json.dumps(data).encode()


async def seed(units: Units) -> None:
    async with units() as unit:
        await unit.orders.create("WW-1042", 1500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment("WW-1042", None, Channel.TELEGRAM, "42", 1500, "254708374149", "en"),
            now=NOW,
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m", checkout_request_id="ws_CO_1"
        )
        await unit.commit()


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, uow: Units) -> TestClient[Any, Any]:
    await seed(uow)
    settlement = SettlementService(uow, clock=lambda: NOW, staff=STAFF)
    return await aiohttp_client(create_app(WebhookConfig(SettlementBatcher(settlement), SECRET)))


async def payment(uow: Units) -> Payment:
    async with uow() as unit:
        found = await unit.payments.by_checkout_request_id("ws_CO_1")
    assert found is not None
    return found


async def kept_rows(uow: Units) -> list[KeptBody]:
    async with uow() as unit:
        return list(reversed(await unit.callback_bodies.recent(limit=100)))


async def outbox(uow: Units, chat_key: str) -> list[dict[str, Any]]:
    async with uow() as unit:
        rows = await unit.session.scalars(
            select(OutboxRow.payload).where(OutboxRow.chat_key == chat_key).order_by(OutboxRow.id)
        )
        return list(rows)


# --- item 4: a ResultCode in words is a failure ------------------------------------------------


async def test_a_result_code_in_words_settles_the_payment_as_failed_with_the_code_kept(
    client: TestClient[Any, Any], uow: Units
) -> None:
    response = await client.post(PATH, data=json.dumps(OPERATOR_MISSING))
    assert response.status == 200
    assert await response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    settled = await payment(uow)
    assert settled.status is PaymentStatus.FAILED
    assert settled.result_code is None
    assert settled.result_code_text == "SFC_IC0003"
    assert settled.result_description == "The operator does not exist"


async def test_a_result_code_in_words_tells_the_customer_to_try_again(
    client: TestClient[Any, Any], uow: Units
) -> None:
    await client.post(PATH, data=json.dumps(OPERATOR_MISSING))
    [message] = await outbox(uow, "42")
    assert message["text"].startswith("Not paid: KES 1,500 for order WW-1042.")
    assert [button["label"] for row in message["buttons"] for button in row] == [
        "Try again",
        "I already paid",
    ]


async def test_a_result_code_in_words_tells_the_staff_which_settings_to_check(
    client: TestClient[Any, Any], uow: Units
) -> None:
    await client.post(PATH, data=json.dumps(OPERATOR_MISSING))
    texts = [message["text"] for message in await outbox(uow, STAFF.chat_key)]
    assert any("code SFC_IC0003" in text or "SFC_IC0003" in text for text in texts)
    [setup] = [text for text in texts if "MPESA_TRANSACTION_TYPE" in text]
    assert "MPESA_PARTY_B" in setup
    assert "The operator does not exist" in setup
    assert "WW-1042" in setup


# --- item 5: odd bodies get a 4xx and reach no SQL ---------------------------------------------

ODD_BODIES = {
    "a 206-character CheckoutRequestID": with_field("CheckoutRequestID", "ws_CO_" + "9" * 200),
    "a CheckoutRequestID with a NUL": with_field("CheckoutRequestID", "ws_CO_1\x00"),
    "a MerchantRequestID with a lone surrogate": with_field("MerchantRequestID", "m\ud800"),
    "a 100-character MpesaReceiptNumber": with_item("MpesaReceiptNumber", "N" * 100),
    "a receipt with a NUL": with_item("MpesaReceiptNumber", "NLJ\x00"),
    "ResultCode 2**40": with_field("ResultCode", 2**40),
    "ResultCode 2**70": with_field("ResultCode", 2**70),
    "Amount 10**30": with_item("Amount", 10**30),
    "Amount 1e30": with_item("Amount", 1e30),
    "Amount 10**400": with_item("Amount", 10**400),
    "PhoneNumber 10**30": with_item("PhoneNumber", 10**30),
    "PhoneNumber with a NUL": with_item("PhoneNumber", "2547\x00"),
    "nesting deeper than any callback": json.dumps(
        {**success(), "Extra": json.loads("[" * 200 + "]" * 200)}
    ).encode(),
    "1e400 somewhere": json.dumps(success()).replace("}", ', "X": 1e400}', 1).encode(),
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
async def test_an_odd_body_gets_400_changes_no_payment_and_is_kept(
    client: TestClient[Any, Any], uow: Units, body: bytes
) -> None:
    response = await client.post(PATH, data=body)
    assert response.status == 400
    assert (await response.json())["ResultCode"] != 0
    assert (await payment(uow)).status is PaymentStatus.PENDING
    [kept] = await kept_rows(uow)
    assert kept.received.body == body
    assert kept.status == BodyStatus.REFUSED.value


DESCRIPTIONS = {
    "a NUL": ("The service\x00 request", "The service request"),
    "a lone surrogate": ("The service \udc80request", "The service request"),
}


@pytest.mark.parametrize(("sent", "stored"), DESCRIPTIONS.values(), ids=DESCRIPTIONS.keys())
async def test_a_result_desc_loses_its_nul_or_lone_surrogate_and_settles(
    client: TestClient[Any, Any], uow: Units, sent: str, stored: str
) -> None:
    body = with_field("ResultDesc", sent)
    response = await client.post(PATH, data=body)
    assert response.status == 200
    settled = await payment(uow)
    assert settled.status is PaymentStatus.PAID
    assert settled.result_description == stored
    [kept] = await kept_rows(uow)
    assert kept.received.body == body  # the body itself is kept exactly as it came


# --- item 6: every body is kept, refused ones alert the staff, replays --------------------------


async def test_a_settled_callback_s_body_is_kept_raw_with_its_address_and_time(
    client: TestClient[Any, Any], uow: Units
) -> None:
    body = json.dumps(success()).encode()
    before = datetime.now(UTC)
    response = await client.post(PATH, data=body)
    assert response.status == 200
    [kept] = await kept_rows(uow)
    assert kept.received.body == body
    assert kept.received.source_address == "127.0.0.1"
    assert before <= kept.received.received_at <= datetime.now(UTC)
    assert (kept.status, kept.checkout_request_id) == ("settled", "ws_CO_1")
    # A settled body alerts nobody beyond the usual settled-payment notice.
    texts = [message["text"] for message in await outbox(uow, STAFF.chat_key)]
    assert not any("callbacks replay" in text for text in texts)


async def test_a_refused_body_is_kept_with_one_staff_alert_naming_its_id(
    client: TestClient[Any, Any], uow: Units
) -> None:
    response = await client.post(PATH, data=b"not json at all")
    assert response.status == 400
    [kept] = await kept_rows(uow)
    assert (kept.received.body, kept.status) == (b"not json at all", "refused")
    assert kept.note == "callback is not valid JSON"
    [alert] = await outbox(uow, STAFF.chat_key)
    assert f"callback {kept.id}" in alert["text"]
    assert f"lipa callbacks replay {kept.id}" in alert["text"]


async def test_bodies_that_share_a_batch_are_all_kept_with_their_outcomes(
    client: TestClient[Any, Any], uow: Units
) -> None:
    bodies = [json.dumps(success()), json.dumps(success("ws_CO_other")), json.dumps(success())]
    answers = await asyncio.gather(*(client.post(PATH, data=body) for body in bodies))
    assert [answer.status for answer in answers] == [200, 200, 200]
    kept = await kept_rows(uow)
    assert sorted(row.received.body.decode() for row in kept) == sorted(bodies)
    assert sorted(row.status for row in kept) == ["duplicate", "settled", "unknown"]


class FailingListener:
    """A listener with a bug: settling any payment fails until it is fixed."""

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Nothing to look up."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        raise RuntimeError("listener bug")


async def test_a_body_whose_settlement_fails_is_kept_alerted_and_settles_on_replay_after_a_fix(
    aiohttp_client: AiohttpClient, uow: Units
) -> None:
    await seed(uow)
    broken = SettlementService(uow, clock=lambda: NOW, staff=STAFF, listeners=[FailingListener()])
    client = await aiohttp_client(create_app(WebhookConfig(SettlementBatcher(broken), SECRET)))
    response = await client.post(PATH, data=json.dumps(success()))
    assert response.status == 500
    assert (await payment(uow)).status is PaymentStatus.PENDING
    [kept] = await kept_rows(uow)
    assert (kept.status, kept.checkout_request_id) == ("failed", "ws_CO_1")
    assert kept.note == "settling failed (RuntimeError)"
    [alert] = await outbox(uow, STAFF.chat_key)
    assert f"lipa callbacks replay {kept.id}" in alert["text"]

    fixed = SettlementService(uow, clock=lambda: NOW, staff=STAFF)
    settled, line = await replay_callback(fixed, kept.id)
    assert (settled, line) == (True, f"callback {kept.id}: settled (ws_CO_1)")
    assert (await payment(uow)).status is PaymentStatus.PAID
    [replayed] = await kept_rows(uow)
    assert replayed.status == "settled"
    assert replayed.replayed_at is not None


async def test_a_body_refused_by_an_older_lipa_settles_when_replayed(uow: Units) -> None:
    # Before non-numeric result codes were understood, this real body was refused and kept.
    await seed(uow)
    settlement = SettlementService(uow, clock=lambda: NOW, staff=STAFF)
    body_id = await settlement.bodies.keep_unsettled(
        ReceivedBody(json.dumps(OPERATOR_MISSING).encode(), "196.201.214.200", NOW),
        status=BodyStatus.REFUSED,
        reason="ResultCode is missing or not an integer",
    )
    settled, line = await replay_callback(settlement, body_id)
    assert (settled, line) == (True, f"callback {body_id}: settled (ws_CO_1)")
    found = await payment(uow)
    assert (found.status, found.result_code_text) == (PaymentStatus.FAILED, "SFC_IC0003")


async def test_replaying_a_body_that_is_still_malformed_says_so_and_alerts_no_one_again(
    uow: Units,
) -> None:
    settlement = SettlementService(uow, clock=lambda: NOW, staff=STAFF)
    body_id = await settlement.bodies.keep_unsettled(
        ReceivedBody(b"{}", None, NOW), status=BodyStatus.REFUSED, reason="Body is missing"
    )
    settled, line = await replay_callback(settlement, body_id)
    assert not settled
    assert line == f"callback {body_id}: refused: Body is missing or not an object"
    assert len(await outbox(uow, STAFF.chat_key)) == 1
    assert (await replay_callback(settlement, 999))[1] == "callback 999: no such callback body"


async def test_the_kept_bodies_needing_a_replay_are_listed_newest_first(uow: Units) -> None:
    await seed(uow)
    settlement = SettlementService(uow, clock=lambda: NOW)
    first = await settlement.bodies.keep_unsettled(
        ReceivedBody(b"[]", None, NOW), status=BodyStatus.REFUSED, reason="no"
    )
    await settlement.settle(
        PaymentResult("ws_CO_1", 1032, "Request cancelled by user"),
        source="callback",
        received=ReceivedBody(b"{}", None, NOW),
    )
    second = await settlement.bodies.keep_unsettled(
        ReceivedBody(b"x", None, NOW), status=BodyStatus.FAILED, reason="bug"
    )
    everything = await settlement.bodies.recent(limit=10)
    assert [body.status for body in everything] == ["failed", "settled", "refused"]
    waiting = await settlement.bodies.recent(limit=10, needing_replay=True)
    assert [body.id for body in waiting] == [second, first]


async def test_a_long_forwarded_address_is_kept_cut_to_its_column(
    aiohttp_client: AiohttpClient, uow: Units
) -> None:
    await seed(uow)
    settlement = SettlementService(uow, clock=lambda: NOW)
    sources = SourceCheck(trusted_header="X-Forwarded-For")
    client = await aiohttp_client(
        create_app(WebhookConfig(SettlementBatcher(settlement), SECRET, sources=sources))
    )
    forwarded = "10.0.0.1, " + "2001:db8::" + "f" * 200
    response = await client.post(
        PATH, data=json.dumps(success()), headers={"X-Forwarded-For": forwarded}
    )
    assert response.status == 200
    [kept] = await kept_rows(uow)
    assert kept.received.source_address == ("2001:db8::" + "f" * 200)[:64]
