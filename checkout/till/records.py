"""The till's records: one M-Pesa transaction as M-Pesa reported it, and its ledger entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LedgerSource(StrEnum):
    """How Lipa learnt of a transaction."""

    CONFIRMATION = "confirmation"  # Daraja's C2B confirmation call
    STATEMENT = "statement"  # the shortcode's statement (Pull Transactions)
    STATUS = "status"  # a Transaction Status answer ("I already paid", /verify)


class LedgerState(StrEnum):
    """Where a transaction stands in Lipa's books."""

    CREDITED = "credited"  # credited to an order as a till payment
    MATCHED = "matched"  # the M-Pesa side of a payment Lipa asked for by STK Push
    UNMATCHED = "unmatched"  # waiting for the staff: credit it to an order, or not ours
    NOT_OURS = "not_ours"  # the staff said it belongs to no order of Lipa's


@dataclass(frozen=True, slots=True)
class TillPayment:
    """One M-Pesa transaction into the business's shortcode, as M-Pesa reported it.

    ``msisdn`` is kept as given: a full number (``2547XXXXXXXX``), a masked one
    (``2547****149``) or the SHA-256 hex digest of the full number; never use it as a key
    without :mod:`checkout.domain.phones`' matching.
    """

    transaction_id: str  # M-Pesa's receipt (TransID), upper case
    amount: int  # whole shillings
    paid_at: datetime | None  # aware; M-Pesa gives Nairobi time
    account: str | None = None  # BillRefNumber, exactly as the customer typed it
    msisdn: str | None = None
    payer_name: str | None = None  # as M-Pesa gives it ("JOHN DOE", "J*** D***")
    kind: str | None = None  # M-Pesa's transaction type ("Pay Bill", "Buy Goods", ...)
    shortcode: str | None = None  # the shortcode credited, when M-Pesa says


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A transaction in Lipa's ledger and what became of it."""

    id: int
    payment: TillPayment
    source: LedgerSource
    state: LedgerState
    recorded_at: datetime
    order_reference: str | None = None  # the order it was credited to or matched with
    payment_id: int | None = None  # the payments row it became, or matched
    resolved_by: str | None = None  # the staff user who credited it or said not ours
    resolved_at: datetime | None = None
