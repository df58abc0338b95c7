"""Wiring the ways out: the other way to pay is the business's own paybill or till.

With ``MPESA_TRANSACTION_TYPE=CustomerPayBillOnline`` customers are told the paybill
(``MPESA_BUSINESS_SHORTCODE``) with their order's reference as the account number; with
``CustomerBuyGoodsOnline`` the till number (``MPESA_PARTY_B``). A plan's installments are
left to the plan's own messages.
"""

from __future__ import annotations

from checkout.bnpl.ports import with_plans
from checkout.domain.records import Payment
from checkout.domain.time import Clock
from checkout.payments.other_way import OtherWay, PayTo
from checkout.payments.unit import UnitOfWork
from daraja.config import TransactionType
from lipa.settings import Settings


def pay_to(settings: Settings) -> PayTo:
    """Where customers can pay from their phone's M-Pesa menu."""
    if settings.mpesa_transaction_type is TransactionType.TILL and settings.mpesa_party_b:
        return PayTo(settings.mpesa_party_b, till=True)
    return PayTo(settings.mpesa_business_shortcode)


async def is_installment(unit: UnitOfWork, payment: Payment) -> bool:
    """Whether ``payment`` is one of a plan's pushes (its messages are the plan's)."""
    return await with_plans(unit).plans.link_for(payment.id) is not None


def other_way(settings: Settings, *, clock: Clock) -> OtherWay:
    """The other way to pay, for the business ``settings`` describe."""
    return OtherWay(pay_to(settings), clock=clock, exempt=is_installment)
