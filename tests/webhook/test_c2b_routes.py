"""The C2B routes: secret and allowlist like the STK callback, every body kept, each payment
credited once; STK callbacks on /hooks/stk/<secret> beside the first deployments' path."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from checkout.domain.records import BodyStatus, OrderStatus, ReceivedBody, StaffChat
from checkout.payments.batching import SettlementBatcher
from checkout.payments.settling.settle import SettlementService
from checkout.till.credit import TillCredits
from checkout.till.records import LedgerState
from checkout.till.validate import TillValidation
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app
from webhook.mpesa import SourceCheck
from webhook.till import (
    TillHooks,
    c2b_confirm_path,
    c2b_validate_path,
    looks_like_c2b,
    replay_c2b,
)

SECRET = "s3cret-path"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
Units = Callable[[], SqlUnitOfWork]


def confirmation(
    code: str = "RKTQDM7W6S", amount: str = "1500.00", account: str = "WW-1042"
) -> dict[str, Any]:
    return {
        "TransactionType": "Pay Bill",
        "TransID": code,
        "TransTime": "20261204120000",
        "TransAmount": amount,
        "BusinessShortCode": "600638",
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "",
        "MSISDN": "2547****149",
        "FirstName": "John",
        "MiddleName": "",
        "LastName": "Doe",
    }


def app_for(uow: Units, *, reject_unknown: bool = False, sources: SourceCheck | None = None) -> Any:
    staff = StaffChat("staff-room")
    settlement = SettlementService(uow, clock=lambda: NOW, staff=staff)
    credits = TillCredits(uow, clock=lambda: NOW, staff=staff)
    hooks = TillHooks(
        credits,
        TillValidation(uow, reject_unknown_accounts=reject_unknown),
        settlement.bodies,
        SECRET,
        sources,
    )
    return create_app(
        WebhookConfig(
            SettlementBatcher(settlement), SECRET, till=hooks, sources=sources or SourceCheck()
        )
    )


async def seed(uow: Units) -> None:
    async with uow() as unit:
        await unit.orders.create("WW-1042", 1500, known=True)
        await unit.commit()


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, uow: Units) -> TestClient[Any, Any]:
    await seed(uow)
    return await aiohttp_client(app_for(uow))


async def test_a_confirmation_credits_its_order_once_even_when_it_comes_twice(
    client: TestClient[Any, Any], uow: Units
) -> None:
    for _ in range(2):
        response = await client.post(c2b_confirm_path(SECRET), json=confirmation())
        assert response.status == 200
        assert await response.json() == {"ResultCode": 0, "ResultDesc": "Success"}
    async with uow() as unit:
        order = await unit.orders.get("WW-1042")
        entry = await unit.till.get("RKTQDM7W6S")
        kept = await unit.callback_bodies.recent(limit=10)
    assert order is not None
    assert (order.amount_paid, order.status) == (1500, OrderStatus.PAID)
    assert entry is not None
    assert entry.state is LedgerState.CREDITED
    assert [body.status for body in kept] == [BodyStatus.DUPLICATE, BodyStatus.SETTLED]


async def test_an_unknown_account_lands_in_the_queue(
    client: TestClient[Any, Any], uow: Units
) -> None:
    response = await client.post(
        c2b_confirm_path(SECRET), json=confirmation(account="my shoes", amount="999")
    )
    assert response.status == 200
    async with uow() as unit:
        queue = await unit.till.unmatched(limit=10)
    assert [entry.payment.account for entry in queue] == ["my shoes"]


async def test_a_malformed_confirmation_is_refused_and_kept_for_a_replay(
    client: TestClient[Any, Any], uow: Units
) -> None:
    response = await client.post(
        c2b_confirm_path(SECRET), data=json.dumps(confirmation(amount="10.50"))
    )
    assert response.status == 400
    async with uow() as unit:
        (kept,) = await unit.callback_bodies.recent(limit=10)
        assert await unit.till.count_unmatched() == 0
    assert kept.status is BodyStatus.REFUSED


@pytest.mark.parametrize("path", [c2b_confirm_path("wrong"), c2b_validate_path("wrong")])
async def test_a_wrong_secret_is_a_404_and_nothing_is_kept(
    client: TestClient[Any, Any], uow: Units, path: str
) -> None:
    response = await client.post(path, json=confirmation())
    assert response.status == 404
    async with uow() as unit:
        assert await unit.callback_bodies.recent(limit=10) == []


async def test_a_caller_outside_the_allowlist_is_refused(
    aiohttp_client: AiohttpClient, uow: Units
) -> None:
    await seed(uow)
    sources = SourceCheck(networks=(ip_network("196.201.214.0/24"),))
    client = await aiohttp_client(app_for(uow, sources=sources))
    response = await client.post(c2b_confirm_path(SECRET), json=confirmation())
    assert response.status == 403


async def test_validation_accepts_any_account_by_default(
    client: TestClient[Any, Any], uow: Units
) -> None:
    response = await client.post(c2b_validate_path(SECRET), json=confirmation(account="nope"))
    assert await response.json() == {"ResultCode": "0", "ResultDesc": "Accepted"}
    async with uow() as unit:
        (kept,) = await unit.callback_bodies.recent(limit=10)
    assert kept.status is BodyStatus.NOTED


async def test_validation_rejects_an_unknown_account_only_when_asked_to(
    aiohttp_client: AiohttpClient, uow: Units
) -> None:
    await seed(uow)
    client = await aiohttp_client(app_for(uow, reject_unknown=True))
    unknown = await client.post(c2b_validate_path(SECRET), json=confirmation(account="nope"))
    known = await client.post(
        c2b_validate_path(SECRET), json=confirmation(account=" ww-1042", amount="90000")
    )
    assert (await unknown.json())["ResultCode"] == "C2B00012"
    # More than the balance is never a reason to refuse.
    assert (await known.json())["ResultCode"] == "0"


async def test_stk_callbacks_are_served_on_the_new_path_and_the_old_one(
    client: TestClient[Any, Any],
) -> None:
    for path in (f"/hooks/stk/{SECRET}", f"/mpesa/callback/{SECRET}"):
        response = await client.post(path, data=b"{not json")
        assert response.status == 400  # reached the handler, refused the body


async def test_a_kept_confirmation_is_credited_by_a_replay_once(uow: Units) -> None:
    await seed(uow)
    staff = StaffChat("staff-room")
    settlement = SettlementService(uow, clock=lambda: NOW, staff=staff)
    credits = TillCredits(uow, clock=lambda: NOW, staff=staff)
    body = json.dumps(confirmation()).encode()
    assert looks_like_c2b(body)
    # Kept as the route keeps a confirmation whose crediting failed (the cause since fixed).
    body_id = await settlement.bodies.keep_unsettled(
        ReceivedBody(body, "196.201.214.200", NOW), status=BodyStatus.FAILED, reason="boom"
    )
    first = await replay_c2b(credits, settlement.bodies, body_id)
    again = await replay_c2b(credits, settlement.bodies, body_id)
    assert first == (True, f"callback {body_id}: credited (RKTQDM7W6S)")
    assert again == (True, f"callback {body_id}: duplicate (RKTQDM7W6S)")
    async with uow() as unit:
        order = await unit.orders.get("WW-1042")
    assert order is not None
    assert order.amount_paid == 1500
