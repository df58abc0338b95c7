"""Payments written straight into the database, at chosen times, for report and API tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.domain.records import AuditKind, Channel, Payment, PaymentStatus
from checkout.payments.ports import NewPayment, Settlement
from checkout.payments.unit import UnitOfWork

RESULT_CODES = {
    PaymentStatus.PAID: 0,
    PaymentStatus.FAILED: 1,
    PaymentStatus.CANCELLED: 1032,
    PaymentStatus.EXPIRED: None,
    PaymentStatus.MISMATCHED: 0,
}


@dataclass(frozen=True)
class Seed:
    """One payment to write: its order, amount, outcome and when it was started."""

    reference: str
    amount: int
    status: PaymentStatus
    at: datetime
    phone: str = "254712345678"
    receipt: str | None = None
    order_amount: int | None = None  # what the order is for, when it is created


async def seed(units: Callable[[], UnitOfWork], item: Seed) -> Payment:
    """Write the order (if new), the payment and its settlement, with a callback event."""
    async with units() as unit:
        if await unit.orders.get(item.reference) is None:
            await unit.orders.create(item.reference, item.order_amount or item.amount, known=True)
        payment = await unit.payments.create_pending(
            NewPayment(
                order_reference=item.reference,
                customer_id=None,
                channel=Channel.TELEGRAM,
                chat_key="5001",
                amount=item.amount,
                phone=item.phone,
                language="en",
            ),
            now=item.at,
        )
        request_id = f"ws_CO_{payment.id}"
        await unit.payments.mark_requested(
            payment.id, merchant_request_id=f"m-{payment.id}", checkout_request_id=request_id
        )
        if item.status is not PaymentStatus.PENDING:
            settled_at = item.at + timedelta(seconds=30)
            await unit.audit.record(
                kind=AuditKind.CALLBACK,
                payload={"result_code": RESULT_CODES[item.status]},
                now=settled_at,
                payment_id=payment.id,
                checkout_request_id=request_id,
            )
            await unit.payments.settle(
                payment.id,
                Settlement(
                    item.status,
                    RESULT_CODES[item.status],
                    item.status.value,
                    item.receipt if item.status is PaymentStatus.PAID else None,
                ),
                now=settled_at,
            )
            if item.status is PaymentStatus.PAID:
                await unit.orders.record_paid(item.reference, item.amount)
        await unit.commit()
        stored = await unit.payments.get(payment.id)
    assert stored is not None
    return stored
