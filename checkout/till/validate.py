"""C2B validation: whether to accept a payment to the till before the money moves.

Safaricom asks only when it has enabled external validation for the shortcode, and must be
answered within seconds. A payment is never refused for its amount (more than an order's
balance is still the customer's money for the business); an account number that names no
order, or a cancelled one, is refused only when the business asked for that
(``MPESA_C2B_REJECT_UNKNOWN_ACCOUNTS``): customers type account numbers with typos, and a
refused payment is a lost sale.
"""

from __future__ import annotations

from enum import StrEnum

from checkout.domain.records import BodyStatus, OrderStatus, ReceivedBody
from checkout.domain.references import parse_order_reference
from checkout.payments.unit import UnitOfWork, UnitOfWorkFactory


class Verdict(StrEnum):
    """The answer to a validation request."""

    ACCEPT = "accept"
    UNKNOWN_ACCOUNT = "unknown_account"  # answered with C2B00012 (invalid account number)


class TillValidation:
    """Decides C2B validation requests."""

    def __init__(self, units: UnitOfWorkFactory, *, reject_unknown_accounts: bool) -> None:
        self._units = units
        self._reject_unknown_accounts = reject_unknown_accounts

    async def decide(
        self, account: str | None, amount: int, *, received: ReceivedBody | None = None
    ) -> Verdict:
        """Accept, unless unknown accounts are refused and ``account`` names no order.

        ``received`` (the request's body as it came) is kept, with the verdict as its note.
        """
        async with self._units() as unit:
            verdict = await self._verdict(unit, account)
            if received is not None:
                await unit.callback_bodies.keep(
                    received,
                    status=BodyStatus.NOTED,
                    note=f"validation: {verdict.value} (KES {amount})",
                )
                await unit.commit()
        return verdict

    async def _verdict(self, unit: UnitOfWork, account: str | None) -> Verdict:
        if not self._reject_unknown_accounts:
            return Verdict.ACCEPT
        reference = parse_order_reference(account or "")
        order = await unit.orders.get(reference) if reference is not None else None
        # A cancelled order is closed: its reference is no account to pay any more.
        if order is None or order.status is OrderStatus.CANCELLED:
            return Verdict.UNKNOWN_ACCOUNT
        return Verdict.ACCEPT
