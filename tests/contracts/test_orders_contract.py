"""The orders' and order book's contract: the same tests in memory, on SQLite and PostgreSQL.

The in-memory unit of work (``lipa_testing.memory_units``) stands in for the database in
the fast service tests; these tests keep its orders honest.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from checkout.domain.records import Channel, OrderStatus, PaymentStatus
from checkout.domain.summaries import PaymentCursor
from checkout.payments.ports import NewPayment, Settlement
from lipa_testing.clocks import SettableClock
from lipa_testing.memory_payments import OrderExists
from tests.contracts.conftest import Units


async def create(units: Units, reference: str, amount_due: int, *, known: bool = True) -> None:
    async with units() as unit:
        await unit.orders.create(reference, amount_due, known=known)
        await unit.commit()


async def test_an_order_is_created_open_and_read_back(units: Units) -> None:
    await create(units, "WW-1", 1500, known=False)
    async with units() as unit:
        order = await unit.orders.get("WW-1")
        assert await unit.orders.get("WW-2") is None
        assert await unit.orders.hold("WW-2") is None
        assert await unit.orders.hold("WW-1") == order
    assert order is not None
    assert (order.amount_due, order.amount_paid, order.status, order.known) == (
        1500,
        0,
        OrderStatus.OPEN,
        False,
    )


async def test_a_second_order_with_a_reference_is_refused(units: Units) -> None:
    await create(units, "WW-1", 1500)
    with pytest.raises((IntegrityError, OrderExists)):
        await create(units, "WW-1", 700)
    async with units() as unit:
        created = await unit.order_book.create_if_absent(
            "WW-1", 700, description=None, customer_phone=None, now=SettableClock()()
        )
        assert created is None
        order = await unit.orders.get("WW-1")
    assert order is not None
    assert order.amount_due == 1500


async def test_paying_moves_an_order_to_partly_paid_then_paid(units: Units) -> None:
    await create(units, "WW-1", 1500)
    await create(units, "WW-2", 100)
    async with units() as unit:
        partly = await unit.orders.record_paid("WW-1", 500)
        many = await unit.orders.record_paid_many({"WW-1": 1000, "WW-2": 100})
        assert await unit.orders.record_paid_many({}) == {}
        with pytest.raises(LookupError):
            await unit.orders.record_paid("WW-3", 1)
        await unit.commit()
    assert (partly.amount_paid, partly.status) == (500, OrderStatus.PARTLY_PAID)
    assert {ref: (o.amount_paid, o.status) for ref, o in many.items()} == {
        "WW-1": (1500, OrderStatus.PAID),
        "WW-2": (100, OrderStatus.PAID),
    }


async def test_raising_the_amount_due_only_raises_it(units: Units) -> None:
    await create(units, "WW-1", 1000, known=False)
    async with units() as unit:
        await unit.orders.record_paid("WW-1", 1000)
        raised = await unit.orders.raise_amount_due("WW-1", 1500)
        same = await unit.orders.raise_amount_due("WW-1", 1200)
        await unit.commit()
    assert (raised.amount_due, raised.status) == (1500, OrderStatus.PARTLY_PAID)
    assert same == raised


async def test_an_uncommitted_order_is_not_there(units: Units) -> None:
    async with units() as unit:
        await unit.orders.create("WW-1", 1500, known=True)
        assert await unit.orders.get("WW-1") is not None  # its own writes it sees
    async with units() as unit:
        await unit.orders.create("WW-2", 1500, known=True)
        await unit.rollback()
    async with units() as unit:
        assert await unit.orders.get("WW-1") is None
        assert await unit.orders.get("WW-2") is None


async def test_the_order_book_creates_known_orders_with_their_phone(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        created = await unit.order_book.create_if_absent(
            "WW-1", 900, description="Shirts", customer_phone="254712345678", now=clock()
        )
        await unit.commit()
    async with units() as unit:
        assert await unit.orders.get("WW-1") == created
    assert created is not None
    assert (created.known, created.description, created.customer_phone) == (
        True,
        "Shirts",
        "254712345678",
    )


async def test_the_order_book_lists_an_orders_payments_and_pages_settled_ones(
    units: Units,
) -> None:
    clock = SettableClock()
    await create(units, "WW-1", 1500)
    await create(units, "WW-2", 1500)
    async with units() as unit:
        ids = []
        for reference in ("WW-1", "WW-2", "WW-1", "WW-1"):
            new = NewPayment(reference, None, Channel.TELEGRAM, "42", 500, "254712345678", "en")
            ids.append((await unit.payments.create_pending(new, now=clock())).id)
        paid = Settlement(PaymentStatus.PAID, 0, "ok")
        for payment_id in (ids[3], ids[0], ids[1]):
            clock.advance(0 if payment_id == ids[0] else 60)
            await unit.payments.settle(payment_id, paid, now=clock())
        await unit.commit()
    async with units() as unit:
        of_order = await unit.order_book.payments_for_order("WW-1")
        together = await unit.order_book.order_with_payments("WW-1")
        nothing = await unit.order_book.order_with_payments("WW-404")
        first = await unit.order_book.settled_page(
            since=clock() - timedelta(minutes=5), after=None, limit=2
        )
        assert first.next_cursor is not None
        rest = await unit.order_book.settled_page(
            since=clock() - timedelta(minutes=5), after=first.next_cursor, limit=2
        )
        late = await unit.order_book.settled_page(
            since=clock(), after=PaymentCursor(clock(), ids[1]), limit=5
        )
    assert [p.id for p in of_order] == [ids[0], ids[2], ids[3]]
    assert together is not None
    assert together[0].reference == "WW-1"
    assert [p.id for p in together[1]] == [ids[0], ids[2], ids[3]]
    assert nothing is None
    assert [p.id for p in first.payments] == sorted([ids[3], ids[0]])
    assert [p.id for p in rest.payments] == [ids[1]]
    assert rest.next_cursor is None
    assert late.payments == ()
