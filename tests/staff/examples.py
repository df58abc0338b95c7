"""The payment and orders the staff notices' tests and screenshots speak of."""

from __future__ import annotations

from datetime import datetime

from checkout.domain.records import Channel, Order, OrderStatus, Payment, PaymentStatus


def paid_payment(*, chat_key: str, at: datetime) -> Payment:
    """KES 1,500 paid for WW-1042 from a Telegram chat, with its receipt."""
    return Payment(
        id=1,
        order_reference="WW-1042",
        customer_id=1,
        channel=Channel.TELEGRAM,
        chat_key=chat_key,
        amount=1500,
        phone="254712345678",
        status=PaymentStatus.PAID,
        created_at=at,
        result_code=0,
        receipt_number="QAB12CD3EF",
    )


def paid_order(reference: str, paid: int, due: int) -> Order:
    """An order with ``paid`` of ``due`` paid: paid in full, or partly."""
    status = OrderStatus.PAID if paid >= due else OrderStatus.PARTLY_PAID
    return Order(reference=reference, amount_due=due, amount_paid=paid, status=status)
