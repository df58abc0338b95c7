"""The offers of the other way to pay and "Not mine" are kept once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkout.domain.records import Channel, Payment
from checkout.payments.ports import NewPayment
from storage.unit_of_work import SqlUnits

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
PHONE = "254712345678"


async def _payment(uow: SqlUnits, reference: str, *, chat_key: str = "42") -> Payment:
    async with uow() as unit:
        if await unit.orders.get(reference) is None:
            await unit.orders.create(reference, 1500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment(
                order_reference=reference,
                customer_id=None,
                channel=Channel.TELEGRAM,
                chat_key=chat_key,
                amount=1500,
                phone=PHONE,
                language="en",
            ),
            now=NOW,
        )
        await unit.commit()
    return payment


async def test_an_offer_is_kept_once_per_payment_and_listed_while_the_order_owes(
    uow: SqlUnits,
) -> None:
    first = await _payment(uow, "WW-1042")
    second = await _payment(uow, "WW-1042")
    other = await _payment(uow, "WW-2001")
    async with uow() as unit:
        await unit.ways_out.record_offer(first, amount=1500, now=NOW)
        await unit.ways_out.record_offer(first, amount=1500, now=NOW)  # a replay: kept once
        await unit.ways_out.record_offer(second, amount=1500, now=NOW + timedelta(minutes=3))
        await unit.ways_out.record_offer(other, amount=1500, now=NOW + timedelta(minutes=1))
        await unit.commit()
    async with uow() as unit:
        assert await unit.ways_out.count_told_to_pay() == 2
        told = await unit.ways_out.told_to_pay(limit=10)
        assert [(t.order.reference, t.told_at) for t in told] == [
            ("WW-1042", NOW + timedelta(minutes=3)),
            ("WW-2001", NOW + timedelta(minutes=1)),
        ]
        assert told[0].phone == PHONE
        # Paid (by paybill, once C2B credits it): no longer waiting.
        await unit.orders.record_paid("WW-2001", 1500)
        await unit.commit()
    async with uow() as unit:
        assert await unit.ways_out.count_told_to_pay() == 1
        assert [t.order.reference for t in await unit.ways_out.told_to_pay(limit=1)] == ["WW-1042"]


async def test_open_orders_are_the_chats_own_or_its_numbers_and_not_the_declined(
    uow: SqlUnits,
) -> None:
    await _payment(uow, "WW-1042", chat_key="42")  # tried from this chat
    await _payment(uow, "WW-3000", chat_key="43")  # another chat's
    async with uow() as unit:
        for reference, phone in (("WW-2001", PHONE), ("WW-2002", "254799000111")):
            await unit.order_book.create_if_absent(
                reference, 900, description=None, customer_phone=phone, now=NOW
            )
        await unit.order_book.create_if_absent(
            "WW-2003", 900, description=None, customer_phone=PHONE, now=NOW
        )
        await unit.orders.record_paid("WW-2003", 900)
        await unit.commit()
    async with uow() as unit:
        found = await unit.ways_out.open_orders(Channel.TELEGRAM, "42", PHONE, limit=10)
        assert sorted(order.reference for order in found) == ["WW-1042", "WW-2001"]
        without_phone = await unit.ways_out.open_orders(Channel.TELEGRAM, "42", None, limit=10)
        assert [order.reference for order in without_phone] == ["WW-1042"]
        assert await unit.ways_out.decline("WW-2001", Channel.TELEGRAM, "42", now=NOW)
        assert not await unit.ways_out.decline("WW-2001", Channel.TELEGRAM, "42", now=NOW)
        await unit.commit()
    async with uow() as unit:
        found = await unit.ways_out.open_orders(Channel.TELEGRAM, "42", PHONE, limit=10)
        assert [order.reference for order in found] == ["WW-1042"]
        # Declined by one chat only: another chat with the same number still sees it.
        other = await unit.ways_out.open_orders(Channel.WHATSAPP, PHONE, PHONE, limit=10)
        assert [order.reference for order in other] == ["WW-2001"]
