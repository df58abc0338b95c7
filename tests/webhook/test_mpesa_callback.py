"""The M-Pesa callback route: secret in the path, strict parsing, settle once, acknowledge."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app

SECRET = "s3cret-path"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def callback(checkout_id: str = "ws_CO_1", code: int = 0, amount: float = 1500.0) -> dict[str, Any]:
    body: dict[str, Any] = {
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": checkout_id,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully.",
    }
    if code == 0:
        body["CallbackMetadata"] = {
            "Item": [
                {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                {"Name": "Balance"},
                {"Name": "Amount", "Value": amount},
                {"Name": "TransactionDate", "Value": 20191219102115},
                {"Name": "PhoneNumber", "Value": 254708374149},
            ]
        }
    return {"Body": {"stkCallback": body}}


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, uow: Callable[[], SqlUnitOfWork]
) -> TestClient[Any, Any]:
    async with uow() as unit:
        await unit.orders.create("WW-1042", 1500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment("WW-1042", None, Channel.TELEGRAM, "42", 1500, "254708374149", "en"),
            now=NOW,
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m", checkout_request_id="ws_CO_1"
        )
        await unit.commit()
    settlement = SettlementService(uow, clock=lambda: NOW)
    return await aiohttp_client(create_app(WebhookConfig(settlement, SECRET)))


async def status(uow: Callable[[], SqlUnitOfWork]) -> PaymentStatus:
    async with uow() as unit:
        payment = await unit.payments.by_checkout_request_id("ws_CO_1")
    assert payment is not None
    return payment.status


async def test_a_good_callback_is_acknowledged_and_settles_the_payment(
    client: TestClient[Any, Any], uow: Callable[[], SqlUnitOfWork]
) -> None:
    response = await client.post(
        f"/mpesa/callback/{SECRET}",
        data=json.dumps(callback()),
        headers={"Content-Type": "application/json;charset=UTF-8"},
    )
    assert response.status == 200
    assert await response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert await status(uow) is PaymentStatus.PAID


@pytest.mark.parametrize("path", ["/mpesa/callback/wrong", "/mpesa/callback/", "/mpesa/callback"])
async def test_a_wrong_or_missing_secret_gets_404_and_changes_nothing(
    client: TestClient[Any, Any], uow: Callable[[], SqlUnitOfWork], path: str
) -> None:
    response = await client.post(path, json=callback())
    assert response.status == 404
    assert await status(uow) is PaymentStatus.PENDING


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"Body": {}}',
        json.dumps({"Body": {"stkCallback": {"ResultCode": "0"}}}).encode(),
        json.dumps(callback(amount=1500.5)).encode(),
        json.dumps(
            {"Body": {"stkCallback": {**callback()["Body"]["stkCallback"], "CallbackMetadata": {}}}}
        ).encode(),
    ],
)
async def test_a_malformed_body_gets_400_and_changes_nothing(
    client: TestClient[Any, Any], uow: Callable[[], SqlUnitOfWork], body: bytes
) -> None:
    response = await client.post(f"/mpesa/callback/{SECRET}", data=body)
    assert response.status == 400
    assert (await response.json())["ResultCode"] != 0
    assert await status(uow) is PaymentStatus.PENDING


async def test_an_oversized_body_is_refused(
    client: TestClient[Any, Any], uow: Callable[[], SqlUnitOfWork]
) -> None:
    response = await client.post(f"/mpesa/callback/{SECRET}", data=b"x" * 200_000)
    assert response.status == 413
    assert await status(uow) is PaymentStatus.PENDING


async def test_an_unknown_checkout_request_id_is_recorded_and_acknowledged(
    client: TestClient[Any, Any], uow: Callable[[], SqlUnitOfWork]
) -> None:
    response = await client.post(f"/mpesa/callback/{SECRET}", json=callback("ws_CO_nobody"))
    assert response.status == 200
    async with uow() as unit:
        assert await unit.audit.latest("ws_CO_nobody", "callback_unmatched") is not None
    assert await status(uow) is PaymentStatus.PENDING


async def test_health_answers(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
