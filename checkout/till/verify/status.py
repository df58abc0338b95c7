"""What M-Pesa says of one transaction code (Transaction Status), and what typed codes look like.

The adapter turns Daraja's Result into :class:`TransactionFacts`; :func:`parse_code` reads a
code as a customer or staff user types (or pastes) it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from checkout.domain.outcomes import VerifyOutcome as VerifyOutcome
from checkout.domain.records import Order
from checkout.domain.records import TransactionFacts as TransactionFacts
from checkout.till.records import TillPayment

# M-Pesa's transaction codes: ten letters and digits (``QK12ABC3DE``).
CODE_LENGTH: Final = 10
_CODE = re.compile(r"[A-Z0-9]{10}")


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
