"""Listing, changing and cancelling orders through the API, on SQLite and PostgreSQL.

A change or cancellation is refused with the reason once money moved (something paid, a
prompt in flight, a plan, a refund) and then changes nothing: not the row, not the answer,
no event. Cancelling twice answers the same cancelled order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService
from checkout.platform.desk import OrderBlocked, OrderDesk
from checkout.platform.events import EventPublisher
from checkout.platform.orders import OrderService
from checkout.platform.ports import Blocker
from storage.models import OrderRow
from storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import AUTH, BOT, NOW, TOKEN, Client
from tests.api.schema import errors
from tests.bnpl.conftest import seed_active_plan
from tests.staff.seeding import Seed, seed
from webhook.api import OrdersApi
from webhook.app import WebhookConfig, create_app
from webhook.openapi import openapi_document

UowFactory = Callable[[], SqlUnitOfWork]
URL = "https://platform.example/hooks"
DOCUMENT = openapi_document("https://lipa.example")
ORDER_SCHEMA = {"$ref": "#/components/schemas/Order"}


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, uow: UowFactory) -> Client:
    """The API with one event receiver, so changes queue their events."""
    events = EventPublisher([URL], clock=lambda: NOW)
    api = OrdersApi(
        OrderService(uow, clock=lambda: NOW, events=events),
        token=TOKEN,
        bot_username=BOT,
        server_url="https://lipa.example",
    )
    settlement = SettlementService(uow, clock=lambda: NOW)
    return await aiohttp_client(create_app(WebhookConfig(settlement, "secret", api=api)))


async def open_order(
    uow: UowFactory, reference: str, amount: int = 1500, *, minutes_ago: int = 0
) -> None:
    async with uow() as unit:
        await unit.order_book.create_if_absent(
            reference,
            amount,
            description="Duvet wash",
            customer_phone="254712345678",
            now=NOW - timedelta(minutes=minutes_ago),
        )
        await unit.commit()


async def row(uow: UowFactory, reference: str) -> dict[str, Any]:
    """Every column of the order's row."""
    async with uow() as unit:
        found = await unit.session.scalar(select(OrderRow).where(OrderRow.reference == reference))
        assert found is not None
        return {column.name: getattr(found, column.name) for column in OrderRow.__table__.c}


async def events(uow: UowFactory) -> list[dict[str, Any]]:
    async with uow() as unit:
        rows = await unit.outbox.claim_due(now=NOW + timedelta(days=1), limit=100, lease_seconds=1)
    return [item.payload["event"] for item in rows if item.channel is Channel.EVENTS]


async def read(api: Client, reference: str) -> dict[str, Any]:
    response = await api.get(f"/api/orders/{reference}", headers=AUTH)
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


class TestChanging:
    async def test_the_amount_and_description_change_and_the_platform_hears_of_it(
        self, api: Client, uow: UowFactory
    ) -> None:
        await open_order(uow, "WW-1")
        response = await api.patch(
            "/api/orders/ww-1", headers=AUTH, json={"amount": 1800, "description": " Duvet  x2 "}
        )
        assert response.status == 200
        body = await response.json()
        assert errors(body, ORDER_SCHEMA, DOCUMENT) == []
        assert (body["amount_due"], body["balance"], body["description"]) == (
            1800,
            1800,
            "Duvet x2",
        )
        assert body["customer_phone"] == "254712345678"  # whole: the business's own system
        assert await read(api, "WW-1") == body
        [event] = await events(uow)
        assert event["type"] == "order.updated"
        assert event["data"]["order"]["amount_due"] == 1800
        assert event["data"]["previous"] == {"amount_due": 1500, "description": "Duvet wash"}

    async def test_only_the_description_changes_and_null_clears_it(
        self, api: Client, uow: UowFactory
    ) -> None:
        await open_order(uow, "WW-1")
        body = await (
            await api.patch("/api/orders/WW-1", headers=AUTH, json={"description": None})
        ).json()
        assert (body["amount_due"], body["description"]) == (1500, None)

    async def test_the_same_terms_again_answer_the_order_and_queue_no_event(
        self, api: Client, uow: UowFactory
    ) -> None:
        await open_order(uow, "WW-1")
        same = await api.patch("/api/orders/WW-1", headers=AUTH, json={"amount": 1500})
        assert same.status == 200
        assert await events(uow) == []

    async def test_a_failed_prompt_moved_no_money_so_the_order_may_change(
        self, api: Client, uow: UowFactory
    ) -> None:
        await seed(uow, Seed("WW-1", 500, PaymentStatus.FAILED, NOW, order_amount=1500))
        response = await api.patch("/api/orders/WW-1", headers=AUTH, json={"amount": 900})
        assert response.status == 200

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"amount": 0}, "amount"),
            ({"amount": 250_001}, "amount"),
            ({"amount": 1500.5}, "amount"),
            ({"amount": True}, "amount"),
            ({"amount": "1500"}, "amount"),
            ({"amount": None}, "amount"),
            ({"description": "x" * 201}, "description"),
            ({"description": "a\u0000b"}, "description"),
            ({"description": 12}, "description"),
            ({}, "amount"),
            ({"amount": 900, "customer_phone": "0712345678"}, "customer_phone"),
            ({"reference": "WW-2"}, "reference"),
        ],
    )
    async def test_a_bad_change_is_refused_with_its_field_and_changes_nothing(
        self, api: Client, uow: UowFactory, body: dict[str, Any], field: str
    ) -> None:
        await open_order(uow, "WW-1")
        before = await row(uow, "WW-1")
        response = await api.patch("/api/orders/WW-1", headers=AUTH, json=body)
        assert response.status == 400
        assert (await response.json())["error"]["field"] == field
        assert await row(uow, "WW-1") == before
        assert await events(uow) == []

    async def test_an_unknown_order_is_404_and_a_bad_reference_400(self, api: Client) -> None:
        missing = await api.patch("/api/orders/NOPE-1", headers=AUTH, json={"amount": 900})
        assert missing.status == 404
        bad = await api.patch("/api/orders/a!b", headers=AUTH, json={"amount": 900})
        assert bad.status == 400
        unauthorised = await api.patch("/api/orders/WW-1", json={"amount": 900})
        assert unauthorised.status == 401


# How money moved on WW-1, and the code the refusal names.
async def part_paid(uow: UowFactory) -> None:
    await seed(uow, Seed("WW-1", 500, PaymentStatus.PAID, NOW, receipt="R1A", order_amount=1500))


async def fully_paid(uow: UowFactory) -> None:
    await seed(uow, Seed("WW-1", 1500, PaymentStatus.PAID, NOW, receipt="R1A"))


async def prompt_in_flight(uow: UowFactory) -> None:
    await seed(uow, Seed("WW-1", 500, PaymentStatus.PENDING, NOW, order_amount=1500))


async def with_plan(uow: UowFactory) -> None:
    await seed_active_plan(uow, reference="WW-1", chat_key="9", phone="254712345678", taken_at=NOW)


async def cancelled(uow: UowFactory) -> None:
    await open_order(uow, "WW-1")
    async with uow() as unit:
        assert await unit.order_book.cancel("WW-1", now=NOW) is not None
        await unit.commit()


MONEY_MOVED = [
    (part_paid, "order_paid"),
    (fully_paid, "order_paid"),
    (prompt_in_flight, "payment_in_flight"),
    (with_plan, "plan_exists"),
]


class TestRefusals:
    @pytest.mark.parametrize(("make", "code"), [*MONEY_MOVED, (cancelled, "order_cancelled")])
    async def test_a_change_once_money_moved_is_409_with_the_reason_and_changes_nothing(
        self, api: Client, uow: UowFactory, make: Callable[[UowFactory], Any], code: str
    ) -> None:
        await make(uow)
        before, shown = await row(uow, "WW-1"), await read(api, "WW-1")
        response = await api.patch("/api/orders/WW-1", headers=AUTH, json={"amount": 900})
        assert response.status == 409
        refused = await response.json()
        assert errors(refused, {"$ref": "#/components/schemas/Error"}, DOCUMENT) == []
        assert refused["error"]["code"] == code
        assert refused["error"]["message"]
        assert await row(uow, "WW-1") == before
        assert await read(api, "WW-1") == shown
        assert await events(uow) == []

    @pytest.mark.parametrize(("make", "code"), MONEY_MOVED)
    async def test_cancelling_once_money_moved_is_409_with_the_reason_and_changes_nothing(
        self, api: Client, uow: UowFactory, make: Callable[[UowFactory], Any], code: str
    ) -> None:
        await make(uow)
        before, shown = await row(uow, "WW-1"), await read(api, "WW-1")
        response = await api.post("/api/orders/WW-1/cancel", headers=AUTH)
        assert response.status == 409
        assert (await response.json())["error"]["code"] == code
        assert await row(uow, "WW-1") == before
        assert await read(api, "WW-1") == shown
        assert await events(uow) == []


class TestCancelling:
    async def test_an_unpaid_order_is_cancelled_once_and_again_answers_the_same(
        self, api: Client, uow: UowFactory
    ) -> None:
        await open_order(uow, "WW-1", minutes_ago=5)
        first = await api.post("/api/orders/ww-1/cancel", headers=AUTH)
        assert first.status == 200
        body = await first.json()
        assert errors(body, ORDER_SCHEMA, DOCUMENT) == []
        assert body["status"] == "cancelled"
        assert body["cancelled_at"] == NOW.isoformat()
        assert body["created_at"] == (NOW - timedelta(minutes=5)).isoformat()
        again = await api.post("/api/orders/WW-1/cancel", headers=AUTH)
        assert again.status == 200
        assert await again.json() == body
        assert await read(api, "WW-1") == body
        [event] = await events(uow)  # one event, though cancelled "twice"
        assert event["type"] == "order.cancelled"
        assert event["data"]["order"]["status"] == "cancelled"

    async def test_an_unknown_order_is_404(self, api: Client) -> None:
        assert (await api.post("/api/orders/NOPE-1/cancel", headers=AUTH)).status == 404
        assert (await api.post("/api/orders/NOPE-1/cancel")).status == 401


class TestListing:
    async def test_orders_are_listed_oldest_first_by_status_and_time_a_page_at_a_time(
        self, api: Client, uow: UowFactory
    ) -> None:
        for n in range(5):
            await open_order(uow, f"WW-{n}", minutes_ago=50 - 10 * n)
        await seed(uow, Seed("WW-1", 500, PaymentStatus.PAID, NOW, receipt="R1A"))
        everything = await (await api.get("/api/orders", headers=AUTH)).json()
        assert [order["reference"] for order in everything["orders"]] == [
            f"WW-{n}" for n in range(5)
        ]
        assert everything["next_cursor"] is None
        assert everything["orders"][1]["payments"][0]["receipt_number"] == "R1A"
        assert errors(everything, {"$ref": "#/components/schemas/OrderPage"}, DOCUMENT) == []

        seen: list[str] = []
        query: dict[str, str] = {"status": "open", "limit": "2"}
        while True:
            page = await (await api.get("/api/orders", headers=AUTH, params=query)).json()
            assert len(page["orders"]) <= 2
            seen += [order["reference"] for order in page["orders"]]
            if page["next_cursor"] is None:
                break
            query["cursor"] = page["next_cursor"]
        assert seen == ["WW-0", "WW-2", "WW-3", "WW-4"]  # WW-1 is part paid

        window = {
            "since": (NOW - timedelta(minutes=40)).isoformat(),
            "before": (NOW - timedelta(minutes=20)).isoformat(),
        }
        some = await (await api.get("/api/orders", headers=AUTH, params=window)).json()
        assert [order["reference"] for order in some["orders"]] == ["WW-1", "WW-2"]
        paid = await (
            await api.get("/api/orders", headers=AUTH, params={"status": "partly_paid"})
        ).json()
        assert [order["reference"] for order in paid["orders"]] == ["WW-1"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("status=closed", "status"),
            ("since=yesterday", "since"),
            ("before=2026-11-28T09:00:00", "before"),  # no zone
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("cursor=nonsense", "cursor"),
            ("status=open&status=paid", "status"),
            ("page=2", "page"),
        ],
    )
    async def test_a_bad_parameter_is_refused_with_its_name(
        self, api: Client, query: str, field: str
    ) -> None:
        response = await api.get(f"/api/orders?{query}", headers=AUTH)
        assert response.status == 400
        assert (await response.json())["error"]["field"] == field


class TestPlans:
    async def test_a_plan_shows_its_installments_deposit_fees_and_balance(
        self, api: Client, uow: UowFactory
    ) -> None:
        await with_plan(uow)
        listed = await api.get("/api/orders/WW-1/plans", headers=AUTH)
        assert listed.status == 200
        body = await listed.json()
        assert errors(body, {"$ref": "#/components/schemas/PlanList"}, DOCUMENT) == []
        [plan] = body["plans"]
        assert (plan["order_reference"], plan["status"], plan["phone"]) == (
            "WW-1",
            "active",
            "254712345678",
        )
        deposit, *rest = plan["installments"]
        assert deposit["number"] == 0
        assert (deposit["status"], deposit["paid_amount"]) == ("paid", deposit["amount"])
        assert plan["deposit"] == deposit["amount"] == plan["paid"]
        assert [item["status"] for item in rest] == ["due"] * 3
        assert plan["balance"] == sum(item["amount"] for item in rest)
        assert plan["deposit"] + plan["balance"] == plan["total"] + plan["fees"]
        assert all(item["due_at"].endswith("+00:00") for item in plan["installments"])
        one = await api.get(f"/api/plans/{plan['id']}", headers=AUTH)
        assert one.status == 200
        assert await one.json() == plan

    async def test_an_order_without_plans_has_none_and_unknowns_are_404(
        self, api: Client, uow: UowFactory
    ) -> None:
        await open_order(uow, "WW-1")
        assert await (await api.get("/api/orders/WW-1/plans", headers=AUTH)).json() == {"plans": []}
        assert (await api.get("/api/orders/NOPE-1/plans", headers=AUTH)).status == 404
        assert (await api.get("/api/plans/999", headers=AUTH)).status == 404
        for bad in ("x", "0", "2147483648", "\u00b2"):
            assert (await api.get(f"/api/plans/{bad}", headers=AUTH)).status == 400
        assert (await api.get("/api/plans/1")).status == 401


class TestRacingAPayment:
    async def test_a_cancel_waits_for_a_payment_being_started_and_then_refuses(
        self, uow: UowFactory
    ) -> None:
        """The payment holds the order's row: the cancel sees its prompt once it commits."""
        await open_order(uow, "WW-1")
        desk = OrderDesk(uow, clock=lambda: NOW)
        async with uow() as unit:
            held = await unit.orders.hold("WW-1")
            assert held is not None
            await unit.payments.create_pending(
                NewPayment(
                    order_reference="WW-1",
                    customer_id=None,
                    channel=Channel.TELEGRAM,
                    chat_key="5001",
                    amount=500,
                    phone="254712345678",
                    language="en",
                ),
                now=NOW,
            )
            cancelling = asyncio.create_task(desk.cancel("WW-1"))
            await asyncio.sleep(0.3)
            assert not cancelling.done()
            await unit.commit()
        with pytest.raises(OrderBlocked) as refused:
            await cancelling
        assert refused.value.blocker is Blocker.PAYMENT_IN_FLIGHT
        assert (await row(uow, "WW-1"))["status"] == "open"
