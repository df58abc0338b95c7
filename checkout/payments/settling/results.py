"""Daraja's results as settlements: the status a result gives a payment, and their JSON form.

Pure rules shared by settling, reconciling and starting payments; no I/O beyond a log line.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from checkout.domain.phones import mask_phone
from checkout.domain.records import Payment, PaymentStatus
from checkout.domain.result_codes import ResultCode
from checkout.payments.gateway import PaymentResult
from checkout.payments.ports import Settlement

log = logging.getLogger("checkout.payments.settling.settle")

# How old an unanswered push may be for a success callback to be matched to it.
ADOPTION_WINDOW = timedelta(minutes=5)


class SettleOutcome(StrEnum):
    """What settling one result did."""

    SETTLED = "settled"  # the payment moved from pending to a final status
    DUPLICATE = "duplicate"  # already settled with the same outcome: nothing changed
    CONFLICT = "conflict"  # already settled with another outcome: recorded, staff alerted
    UNKNOWN = "unknown"  # no payment with this CheckoutRequestID (yet): recorded
    UNCONFIRMED = "unconfirmed"  # a success Daraja could not confirm yet: kept for later
    RECEIPT = "receipt"  # a late callback gave a payment settled by query its receipt
    # A late success for an expired or failed push of an order paid meanwhile (by paybill):
    # recorded as paid, the order overpaid by it, the staff told and offered the refund.
    OVERPAID = "overpaid"


def log_settled(payment: Payment, status: PaymentStatus, code: int | None) -> None:
    """One log line per settled payment, with its id and a masked phone."""
    log.info(
        "payment %s settled %s (code %s) for %s",
        payment.id,
        status.value,
        code,
        mask_phone(payment.phone),
        extra={"payment_id": payment.id},
    )


def settled_copy(payment: Payment, settlement: Settlement, now: datetime) -> Payment:
    """The payment as the settlement just stored it (saves reading it back)."""
    return replace(
        payment,
        status=settlement.status,
        result_code=settlement.result_code,
        result_code_text=settlement.result_code_text,
        result_description=settlement.result_description,
        receipt_number=settlement.receipt_number,
        transaction_date=settlement.transaction_date,
        reported_amount=settlement.reported_amount,
        settled_at=now,
    )


def reported_phone(phone: str | None) -> str | None:
    """Daraja's phone (possibly masked, e.g. ``2547****5678``) as stored phones are written."""
    return (phone or "").strip().lstrip("+") or None


def status_for(result: PaymentResult, payment: Payment) -> PaymentStatus:
    """The final status a result gives a payment (an amount other than asked: mismatched)."""
    if result.result_code == ResultCode.PAID:
        if result.amount is not None and result.amount != payment.amount:
            return PaymentStatus.MISMATCHED
        return PaymentStatus.PAID
    if result.result_code == ResultCode.CANCELLED:
        return PaymentStatus.CANCELLED
    return PaymentStatus.FAILED


def settlement_for(result: PaymentResult, payment: Payment) -> Settlement:
    """The settlement a result calls for: its status, code and (if money moved) receipt."""
    status = status_for(result, payment)
    # A mismatched payment keeps its receipt too: it is how staff trace the money that
    # moved (and return it).
    moved = status in (PaymentStatus.PAID, PaymentStatus.MISMATCHED)
    return Settlement(
        status=status,
        result_code=result.result_code,
        result_code_text=result.result_code_text,
        result_description=result.result_description,
        receipt_number=result.receipt_number if moved else None,
        transaction_date=result.transaction_date if moved else None,
        reported_amount=result.amount if moved else None,
    )


# A result's fields, in their order: every one is a plain value (str, int, datetime, None),
# so reading them is all ``dataclasses.asdict`` would do, without its deep copy per field.
_RESULT_FIELDS = tuple(field.name for field in fields(PaymentResult))


def result_to_json(result: PaymentResult) -> dict[str, Any]:
    """A JSON-safe dict of a result (kept with unmatched callbacks for later matching)."""
    data = {name: getattr(result, name) for name in _RESULT_FIELDS}
    if result.transaction_date is not None:
        data["transaction_date"] = result.transaction_date.isoformat()
    return data


def result_from_json(data: dict[str, Any]) -> PaymentResult:
    """The result stored by :func:`result_to_json`."""
    values = dict(data)
    when = values.get("transaction_date")
    values["transaction_date"] = datetime.fromisoformat(when) if when else None
    return PaymentResult(**values)
