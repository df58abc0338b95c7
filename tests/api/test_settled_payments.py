"""The platform pages through settled payments in settle order, each exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from checkout.domain.records import PaymentStatus
from storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import AUTH, NOW, Client
from tests.staff.seeding import Seed, seed

UowFactory = Callable[[], SqlUnitOfWork]


async def page(api: Client, **params: Any) -> dict[str, Any]:
    response = await api.get("/api/payments", headers=AUTH, params=params)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_pages_cover_every_settled_payment_once_in_settle_order(
    api: Client, uow: UowFactory
) -> None:
    statuses = [PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED]
    expected = []
    for n in range(7):
        # Pairs share a settle time: the cursor must order them by id.
        at = NOW + timedelta(minutes=n // 2)
        payment = await seed(uow, Seed(f"S-{n}", 100 + n, statuses[n % 3], at, receipt=f"R{n}A"))
        expected.append(payment.id)
    await seed(uow, Seed("S-P", 50, PaymentStatus.PENDING, NOW))

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"since": "2026-11-28T12:00:00+03:00", "limit": "3"}
        if cursor is not None:
            params["cursor"] = cursor
        body = await page(api, **params)
        seen += [payment["id"] for payment in body["payments"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3


async def test_since_leaves_out_payments_settled_before_it(api: Client, uow: UowFactory) -> None:
    early = await seed(uow, Seed("E-1", 100, PaymentStatus.PAID, NOW - timedelta(hours=1)))
    late = await seed(uow, Seed("L-1", 200, PaymentStatus.PAID, NOW, receipt="LATE1"))
    body = await page(api, since="2026-11-28T08:30:00Z")
    assert [payment["id"] for payment in body["payments"]] == [late.id]
    assert body["payments"][0]["receipt_number"] == "LATE1"
    assert body["next_cursor"] is None
    everything = await page(api, since="2026-01-01T00:00:00Z")
    assert [payment["id"] for payment in everything["payments"]] == [early.id, late.id]


async def test_the_default_page_holds_one_hundred(api: Client, uow: UowFactory) -> None:
    for n in range(101):
        await seed(uow, Seed(f"D-{n}", 10, PaymentStatus.FAILED, NOW + timedelta(seconds=n)))
    first = await page(api, since="2026-01-01T00:00:00Z")
    assert len(first["payments"]) == 100
    rest = await page(api, since="2026-01-01T00:00:00Z", cursor=first["next_cursor"])
    assert len(rest["payments"]) == 1
    assert rest["next_cursor"] is None
