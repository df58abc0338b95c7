"""The page benchmark's part-paid orders are what the page reads for a real part-paid order."""

from __future__ import annotations

from bench.common import database
from bench.harness import seed_orders
from bench.web_page import PAID, seed_payments
from checkout.domain.records import OrderStatus, PaymentStatus
from checkout.platform.ports import OrderSnapshot
from storage.inline_reads import InlineOrderReads


async def _no_fallback(reference: str, *, with_plan: bool) -> OrderSnapshot | None:
    raise AssertionError("the inline read fell back to the pool")


async def test_part_paid_orders_carry_one_paid_payment_with_its_receipt() -> None:
    async with database("sqlite") as url:
        await seed_orders(url, ["WEB-00000", "WEB-00001"], 1500)
        await seed_payments(url, ["WEB-00000"])
        reads = InlineOrderReads(url, _no_fallback)
        paid = await reads("WEB-00000", with_plan=True)
        unpaid = await reads("WEB-00001", with_plan=True)
    assert paid is not None
    order, payments, plan = paid
    assert (order.amount_paid, order.balance, order.status) == (PAID, 1000, OrderStatus.PARTLY_PAID)
    assert [(p.amount, p.status, p.receipt_number) for p in payments] == [
        (PAID, PaymentStatus.PAID, "UB00000000")
    ]
    assert plan is None
    assert unpaid is not None
    assert (unpaid[0].amount_paid, list(unpaid[1])) == (0, [])
