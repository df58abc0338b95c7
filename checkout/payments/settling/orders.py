"""Crediting a settling batch's paid payments to their orders (one update for them all)."""

from __future__ import annotations

from dataclasses import replace

from checkout.domain.records import Order, OrderStatus, Payment, PaymentStatus
from checkout.payments.gateway import PaymentResult
from checkout.payments.ports import Settlement
from checkout.payments.unit import UnitOfWork


async def record_paid_orders(
    unit: UnitOfWork, entries: list[tuple[int, Payment, Settlement, PaymentResult]]
) -> dict[int, Order]:
    """Credit the paid ones to their orders; each payment's view of its order after it."""
    paid = sorted(
        (entry for entry in entries if entry[2].status is PaymentStatus.PAID),
        key=lambda entry: entry[0],
    )
    totals: dict[str, int] = {}
    for _, payment, _, _ in paid:
        totals[payment.order_reference] = totals.get(payment.order_reference, 0) + payment.amount
    final = await unit.orders.record_paid_many(totals)
    # Two payments of one order in a batch: the first one's message shows the balance
    # after it alone, as if they had been settled one by one.
    later = dict.fromkeys(totals, 0)
    views: dict[int, Order] = {}
    for _, payment, _, _ in reversed(paid):
        order = final[payment.order_reference]
        amount_paid = order.amount_paid - later[payment.order_reference]
        views[payment.id] = replace(
            order,
            amount_paid=amount_paid,
            status=OrderStatus.PAID if amount_paid >= order.amount_due else OrderStatus.PARTLY_PAID,
        )
        later[payment.order_reference] += payment.amount
    return views
