"""What M-Pesa says of one transaction code (Transaction Status), and what typed codes look like.

The adapter turns Daraja's Result into :class:`TransactionFacts`; :func:`parse_code` reads a
code as a customer or staff user types (or pastes) it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from checkout.domain.records import Order
from checkout.till.records import TillPayment

# M-Pesa's transaction codes: ten letters and digits (``QK12ABC3DE``).
CODE_LENGTH: Final = 10
_CODE = re.compile(r"[A-Z0-9]{10}")
# M-Pesa's word for a transaction that went through.
COMPLETED: Final = "completed"


def parse_code(text: str) -> str | None:
    """The M-Pesa code in ``text`` (upper case), or None if it holds none.

    Takes the code alone (any case, spaces or dashes inside ignored) or an M-Pesa SMS pasted
    whole, whose first word is the code (``QK12ABC3DE Confirmed. Ksh500.00 sent to ...``).
    """
    cleaned = text.strip().upper()
    joined = re.sub(r"[\s\-]", "", cleaned)
    if _CODE.fullmatch(joined) and not joined.isdigit():
        return joined
    first = cleaned.split(maxsplit=1)[0] if cleaned else ""
    first = first.rstrip(".,:;")
    if len(cleaned) > len(first) and _CODE.fullmatch(first) and not first.isdigit():
        return first
    return None


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    """M-Pesa's answer about one transaction code, as Lipa needs it.

    ``found`` is false when M-Pesa did not answer with the transaction (an unknown code, or
    one this shortcode may not see); the rest is then mostly None. ``credit_shortcode`` is
    the shortcode (or till) the money went to, ``payer_name`` as M-Pesa gives it.
    """

    found: bool
    receipt: str | None = None
    amount: int | None = None
    status: str | None = None  # "Completed", ...
    payer_name: str | None = None
    debit_phone: str | None = None  # as given: full, masked or absent
    credit_shortcode: str | None = None
    credit_name: str | None = None
    finalised_at: datetime | None = None
    result_code: int | None = None
    result_description: str = ""

    @property
    def completed(self) -> bool:
        """Whether M-Pesa says the money moved."""
        return self.found and (self.status or "").strip().lower() == COMPLETED


class VerifyOutcome(StrEnum):
    """What Lipa made of an "I already paid" code (or of a staff user's /verify)."""

    CHECKING = "checking"  # asked M-Pesa; the answer follows
    ALREADY_CHECKING = "already_checking"  # a check of this code is under way
    CREDITED = "credited"  # the order was credited with it
    ALREADY_USED = "already_used"  # the code was counted before (a payment or a credit)
    COUNTED = "counted"  # it is the money of the customer's own prompt, counted as that payment
    OTHER_SHORTCODE = "other_shortcode"  # the money went to another business
    TOO_SMALL = "too_small"  # less than the order's balance
    NOT_FOUND = "not_found"  # M-Pesa does not know the code (for this business)
    NOT_COMPLETED = "not_completed"  # M-Pesa knows it, but the money did not move
    ORDER_PAID = "order_paid"  # nothing is left to pay on the order
    NO_SUCH_ORDER = "no_such_order"
    UNAVAILABLE = "unavailable"  # M-Pesa could not be asked, or never answered
    TOO_MANY = "too_many"  # the chat had many codes checked in the last hour: wait
    REPORTED = "reported"  # staff: what M-Pesa says was shown


def answer_reason(facts: TransactionFacts) -> str:
    """M-Pesa's own words for an answer that is not the transaction, for the staff."""
    code = "-" if facts.result_code is None else str(facts.result_code)
    return f"{code} {facts.result_description}".strip()


@dataclass(frozen=True, slots=True)
class Verified:
    """What asking (or crediting) did: the outcome, and the request it concerns if any."""

    outcome: VerifyOutcome
    code: str
    request_id: int | None = None
    facts: TransactionFacts | None = None
    order: Order | None = None
    reason: str | None = None  # why M-Pesa could not be asked (UNAVAILABLE)


def decide(
    facts: TransactionFacts,
    order: Order | None,
    *,
    shortcodes: Collection[str],
    known: bool,
) -> VerifyOutcome:
    """Whether a customer's code pays ``order``: CREDITED (to be credited), or why not."""
    if not facts.found:
        return VerifyOutcome.NOT_FOUND
    if not facts.completed:
        return VerifyOutcome.NOT_COMPLETED
    if facts.credit_shortcode not in shortcodes:
        return VerifyOutcome.OTHER_SHORTCODE
    if known:
        return VerifyOutcome.ALREADY_USED
    if order is None:
        return VerifyOutcome.NO_SUCH_ORDER
    if order.is_fully_paid:
        return VerifyOutcome.ORDER_PAID
    if facts.amount is None or facts.amount < order.balance:
        return VerifyOutcome.TOO_SMALL
    return VerifyOutcome.CREDITED


def till_payment(code: str, facts: TransactionFacts) -> TillPayment:
    """The transaction as the ledger keeps it."""
    return TillPayment(
        transaction_id=code,
        amount=facts.amount or 0,
        paid_at=facts.finalised_at,
        msisdn=facts.debit_phone,
        payer_name=facts.payer_name,
        shortcode=facts.credit_shortcode,
    )
