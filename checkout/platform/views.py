"""JSON views of orders and payments, shared by the orders API and the event webhooks.

The business's platform reads the same shapes from both, so an event's ``data`` can be
compared field by field with ``GET /api/orders/{reference}``. Phone numbers are masked: the
platform knows its customers' numbers already, and these bodies travel to several URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from checkout.domain.phones import mask_phone
from checkout.domain.records import Order, Payment
from checkout.domain.refunds import Refund


def timestamp(value: datetime | None) -> str | None:
    """An aware time as ISO 8601 in UTC (``2026-11-28T09:00:00+00:00``), or None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def payment_view(payment: Payment) -> dict[str, Any]:
    """A payment as the platform sees it."""
    return {
        "id": payment.id,
        "order_reference": payment.order_reference,
        "amount": payment.amount,
        "status": payment.status.value,
        "result_code": payment.result_code,
        "receipt_number": payment.receipt_number,
        "phone": mask_phone(payment.phone),
        "channel": payment.channel.value,
        "created_at": timestamp(payment.created_at),
        "settled_at": timestamp(payment.settled_at),
    }


def order_fields(order: Order) -> dict[str, Any]:
    """An order's own fields: what is due, what is paid, and its state."""
    return {
        "reference": order.reference,
        "status": order.status.value,
        "amount_due": order.amount_due,
        "amount_paid": order.amount_paid,
        "balance": order.balance,
        "description": order.description,
        "customer_phone": mask_phone(order.customer_phone) if order.customer_phone else None,
    }


def order_view(
    order: Order, pay_url: str | None, payments: Sequence[Payment] = ()
) -> dict[str, Any]:
    """An order with its link for customers (None without one) and the payments made on it."""
    return {
        **order_fields(order),
        "pay_url": pay_url,
        "payments": [payment_view(payment) for payment in payments],
    }


def refund_view(refund: Refund) -> dict[str, Any]:
    """A refund as the platform sees it (``GET /api/refunds/{id}``, ``payment.refunded``)."""
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "order_reference": refund.order_reference,
        "receipt_number": refund.receipt,
        "amount": refund.amount,
        "reason": refund.reason,
        "state": refund.state.value,
        "method": refund.method.value if refund.method is not None else None,
        "reference": refund.api_reference,
        "transaction_id": refund.transaction_id,
        "failure": refund.failure.value if refund.failure is not None else None,
        "result_code": refund.result_code,
        "requested_at": timestamp(refund.requested_at),
        "decided_at": timestamp(refund.decided_at),
        "finished_at": timestamp(refund.finished_at),
    }
