"""After a whole and a part refund the order, /api, the event, /today and /export agree.

The platform asks through ``POST /api/refunds`` (idempotent on its reference), staff approve,
results arrive; the API's documented shapes are checked against its OpenAPI description.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pytest_aiohttp import AiohttpClient

from checkout.domain.records import Channel, PaymentStatus
from checkout.domain.time import NAIROBI
from checkout.payments.settling.settle import SettlementService
from checkout.platform.events import EventPublisher
from checkout.platform.orders import OrderService
from checkout.refunds.desk import RefundDesk
from checkout.refunds.effects import RefundEffects
from checkout.refunds.notices import RefundNotices
from checkout.refunds.results import RefundResults
from checkout.refunds.rules import RefundRules
from checkout.refunds.sending import RefundSender
from checkout.staff.reports import ReportService
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import AUTH, TOKEN
from tests.api.schema import errors
from tests.refunds.conftest import RecordingGateway
from tests.refunds.test_desk import STAFF
from tests.refunds.test_sending import result
from tests.staff.seeding import Seed, seed
from webhook.api import OrdersApi
from webhook.app import WebhookConfig, create_app
from webhook.refunds_api import RefundRoutes

UowFactory = Callable[[], SqlUnitOfWork]
URL = "https://platform.example/hook"


async def events(uow: UowFactory, clock: SettableClock) -> list[dict[str, Any]]:
    async with uow() as unit:
        rows = await unit.outbox.claim_due(now=clock(), limit=200, lease_seconds=1)
    return [row.payload["event"] for row in rows if row.channel is Channel.EVENTS]


async def test_whole_and_part_refunds_agree_everywhere(
    aiohttp_client: AiohttpClient, uow: UowFactory
) -> None:
    clock = SettableClock()
    publisher = EventPublisher([URL], clock=clock)
    notices = RefundNotices(clock=clock, staff=STAFF)
    effects = RefundEffects(clock=clock, notices=notices, listeners=[publisher])
    desk = RefundDesk(uow, clock=clock, rules=RefundRules(), notices=notices)
    gateway = RecordingGateway()
    sender = RefundSender(uow, gateway, effects, desk, clock=clock)
    results = RefundResults(uow, effects, clock=clock, b2c_available=True)
    api = OrdersApi(
        OrderService(uow, clock=clock),
        token=TOKEN,
        bot_username="lipa_test_bot",
        server_url="https://lipa.example",
        refunds=RefundRoutes(desk),
    )
    client = await aiohttp_client(
        create_app(WebhookConfig(SettlementService(uow, clock=clock), "secret", api=api))
    )
    document = await (await client.get("/api/openapi.json")).json()
    refund_schema = {"$ref": "#/components/schemas/Refund"}
    at = clock() - timedelta(hours=2)
    await seed(uow, Seed("WW-1", 1000, PaymentStatus.PAID, at, receipt="AAA1111111"))
    await seed(
        uow, Seed("WW-2", 600, PaymentStatus.PAID, at, receipt="BBB2222222", order_amount=600)
    )

    # The platform asks for the whole of WW-1 and part of WW-2; a repeat is the same refund.
    asked = await client.post(
        "/api/refunds", headers=AUTH, json={"receipt": "aaa1111111", "reference": "p-1"}
    )
    assert asked.status == 201
    whole = await asked.json()
    assert errors(whole, refund_schema, document) == []
    assert whole["state"] == "requested"
    assert whole["amount"] == 1000
    again = await client.post(
        "/api/refunds", headers=AUTH, json={"receipt": "AAA1111111", "reference": "p-1"}
    )
    assert again.status == 200
    assert (await again.json())["id"] == whole["id"]
    part = await (
        await client.post(
            "/api/refunds", headers=AUTH, json={"receipt": "BBB2222222", "amount": 200}
        )
    ).json()
    too_much = await client.post(
        "/api/refunds", headers=AUTH, json={"receipt": "BBB2222222", "amount": 401}
    )
    assert too_much.status == 409
    assert (await too_much.json())["error"]["field"] == "amount"
    missing = await client.post("/api/refunds", headers=AUTH, json={"receipt": "ZZZ9999999"})
    assert missing.status == 404
    assert (await client.get("/api/refunds/99", headers=AUTH)).status == 404
    assert (await client.get("/api/refunds/x", headers=AUTH)).status == 400
    assert (await client.post("/api/refunds", json={"receipt": "AAA1111111"})).status == 401

    for refund in (whole, part):
        assert (await desk.approve(refund["id"], user_id=7)).outcome.value == "approved"
    await sender.one_pass()
    assert [kind for kind, _ in gateway.calls] == ["reverse", "b2c"]
    await results.take(result(0, "conv-rev"))
    await results.take(result(0, "conv-b2c"))

    read = await (await client.get(f"/api/refunds/{whole['id']}", headers=AUTH)).json()
    assert errors(read, refund_schema, document) == []
    assert read["state"] == "completed"
    assert read["method"] == "reversal"
    order_schema = {"$ref": "#/components/schemas/Order"}
    one = await (await client.get("/api/orders/WW-1", headers=AUTH)).json()
    two = await (await client.get("/api/orders/WW-2", headers=AUTH)).json()
    assert errors(one, order_schema, document) == []
    assert (one["status"], one["amount_paid"], one["balance"]) == ("refunded", 0, 1000)
    assert (two["status"], two["amount_paid"], two["balance"]) == ("partly_paid", 400, 200)
    # The order shows its refunds beside its payments (issue 15), in the list too.
    assert [(r["id"], r["amount"], r["state"]) for r in one["refunds"]] == [
        (whole["id"], 1000, "completed")
    ]
    assert [(r["id"], r["amount"]) for r in two["refunds"]] == [(part["id"], 200)]
    listed = await (await client.get("/api/orders", headers=AUTH)).json()
    assert [order["refunds"] for order in listed["orders"]] == [one["refunds"], two["refunds"]]
    # Money moved on a refunded order: it cannot be cancelled or changed; nothing changes.
    cancel = await client.post("/api/orders/WW-1/cancel", headers=AUTH)
    assert cancel.status == 409
    assert (await cancel.json())["error"]["code"] == "order_refunded"
    change = await client.patch("/api/orders/WW-1", headers=AUTH, json={"amount": 900})
    assert (await change.json())["error"]["code"] == "order_refunded"
    assert await (await client.get("/api/orders/WW-1", headers=AUTH)).json() == one

    refunded = [e for e in await events(uow, clock) if e["type"] == "payment.refunded"]
    assert [(e["data"]["refund"]["amount"], e["data"]["order"]["balance"]) for e in refunded] == [
        (1000, 1000),
        (200, 200),
    ]

    reports = ReportService(uow, clock=clock)
    today = await reports.day()
    assert (today.refunded.count, today.refunded.amount) == (2, 1200)
    export = await reports.export()
    rows = list(csv.DictReader(io.StringIO(export.csv.decode())))
    back = [row for row in rows if row["status"] == "refunded"]
    assert sorted(int(row["amount"]) for row in back) == [-1000, -200]
    assert export.refunded.amount == 1200
    assert clock().astimezone(NAIROBI).date() == today.day
