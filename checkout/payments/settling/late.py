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

from checkout.domain.outcomes import PaidTwice
from checkout.domain.records import Payment, PaymentStatus
from checkout.domain.result_codes import ResultCode
from checkout.payments.gateway import PaymentResult
from checkout.payments.settling.notices import SettlementNotices
from checkout.payments.settling.results import SettleOutcome, settlement_for
from checkout.payments.unit import UnitOfWork

log = logging.getLogger(__name__)

_GIVEN_UP = frozenset({PaymentStatus.EXPIRED, PaymentStatus.FAILED})


async def settle_late_success(
    unit: UnitOfWork,
    payment: Payment,
    result: PaymentResult,
    notices: SettlementNotices,
    now: datetime,
) -> SettleOutcome | None:
    """Record a late success of an expired or failed ``payment`` whose order is paid already.

    Returns ``OVERPAID`` when it did, with the staff's notice (:class:`PaidTwice`) queued
    through ``notices`` in the same transaction; None when this is not that case (the caller
    goes on as before). The claim is one conditional UPDATE, so it is done once however often
    the answer comes.
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
    await notices.paid_twice(unit, PaidTwice(payment, result.receipt_number, over))
    return SettleOutcome.OVERPAID
