"""A success that comes after Lipa gave up on a push (expired) or after it failed.

The customer may have paid the order another way meanwhile (the paybill, after the prompt
never seemed to come). The late success is then money paid twice: it is recorded as paid
(its receipt is its own, so the statement check matches it and never credits the order by
its account number again), the order shows the overpayment, and the staff are told with the
refund to send. While the order still owes, the late answer stays a conflict for the staff
(as before): the statement check or "I already paid" credits that money once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from checkout.domain.phones import mask_phone
from checkout.domain.records import Payment, PaymentStatus, StaffChat
from checkout.domain.result_codes import ResultCode
from checkout.i18n.payments.overpaid import overpaid_text
from checkout.outbox.replies import queue_reply
from checkout.payments.gateway import PaymentResult
from checkout.payments.settling.results import SettleOutcome, settlement_for
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork

log = logging.getLogger(__name__)

_GIVEN_UP = frozenset({PaymentStatus.EXPIRED, PaymentStatus.FAILED})


async def settle_late_success(
    unit: UnitOfWork,
    payment: Payment,
    result: PaymentResult,
    staff: StaffChat | None,
    now: datetime,
) -> SettleOutcome | None:
    """Record a late success of an expired or failed ``payment`` whose order is paid already.

    Returns ``OVERPAID`` when it did; None when this is not that case (the caller goes on
    as before). The claim is one conditional UPDATE, so it is done once however often the
    answer comes.
    """
    if payment.status not in _GIVEN_UP or result.result_code != ResultCode.PAID:
        return None
    if not result.receipt_number:
        return None
    order = await unit.orders.get(payment.order_reference)
    if order is None or order.balance > 0:
        return None
    settlement = settlement_for(result, payment)
    if settlement.status is not PaymentStatus.PAID:
        return None  # another amount than asked: the conflict notice shows it
    if not await unit.payments.settle_late_success(payment.id, settlement, now=now):
        return None
    overpaid = await unit.orders.record_paid(payment.order_reference, payment.amount)
    over = overpaid.amount_paid - overpaid.amount_due
    log.warning(
        "payment %s (order %s) was %s; its late success overpays the order by %s",
        payment.id,
        payment.order_reference,
        payment.status.value,
        over,
    )
    if staff is not None:
        staff = await read_by(unit, staff)
        text = overpaid_text(
            staff.language,
            order=payment.order_reference,
            amount=payment.amount,
            phone=mask_phone(payment.phone),
            receipt=result.receipt_number,
            over=over,
        )
        await queue_reply(
            unit.outbox,
            staff,
            text,
            now=now,
            dedupe_key=f"payment:{payment.id}:overpaid",
            digest=True,
        )
    return SettleOutcome.OVERPAID
