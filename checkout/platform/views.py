"""JSON views of orders, payments, refunds and plans, shared by the orders API and the events.

The business's platform reads the same shapes from both, so an event's ``data`` can be
compared field by field with ``GET /api/orders/{reference}``. Phone numbers are whole: the
platform is the business's own system, which calls its customers back (logs and chats stay
masked). Amounts are whole shillings; times ISO 8601 with their offset (UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from checkout.bnpl.records import Installment, InstallmentStatus, Plan
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
        "phone": payment.phone,
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
        "customer_phone": order.customer_phone,
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


def installment_view(installment: Installment) -> dict[str, Any]:
    """One payment of a plan (number 0 is the deposit) and how far it is paid."""
    paid = installment.status is InstallmentStatus.PAID
    return {
        "number": installment.number,
        "amount": installment.amount,
        "late_fee": installment.late_fee,
        "paid_amount": installment.amount if paid else 0,
        "status": installment.status.value,
        "due_at": timestamp(installment.due_at),
        "paid_at": timestamp(installment.paid_at),
        "payment_id": installment.payment_id,
    }


def plan_view(plan: Plan) -> dict[str, Any]:
    """A Buy-Now-Pay-Later plan: its deposit, installments, fees, what is paid and left."""
    return {
        "id": plan.id,
        "order_reference": plan.order_reference,
        "status": plan.status.value,
        "phone": plan.phone,
        "total": plan.total,
        "deposit": plan.deposit.amount if plan.installments else 0,
        "fees": plan.fees,
        "paid": plan.paid,
        "balance": plan.left,
        "created_at": timestamp(plan.created_at),
        "installments": [installment_view(item) for item in plan.installments],
    }
