"""The data of the staff's "Credit to order …" buttons, and where Lipa has a code already.

The words of "I already paid" and /verify are :mod:`checkout.i18n.till.verify`'s.
"""

from __future__ import annotations

from typing import Final

from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.replies import Button
from checkout.i18n import staff_answers
from checkout.i18n.till.verify import staff_reason as staff_reason
from checkout.till.records import LedgerEntry, LedgerState
from checkout.till.verify.status import TransactionFacts

# A staff "Credit to order …" button carries the command it stands for (staff buttons run
# their command as if typed by the presser): ``/verify credit <request id> <order>``.
CREDIT_COMMAND: Final = "/verify credit "


def credit_data(request_id: int, order_reference: str) -> str:
    """The data of the button crediting the code of request ``request_id`` to an order."""
    return f"{CREDIT_COMMAND}{request_id} {order_reference}"


def parse_credit_argument(argument: str) -> tuple[int, str] | None:
    """``(request id, order)`` from ``credit <request id> <order>`` (/verify's argument)."""
    words = argument.split()
    if len(words) != 3 or words[0].lower() != "credit" or not words[1].isdigit():
        return None
    return int(words[1]), words[2]


def parse_credit_data(data: str) -> tuple[int, str] | None:
    """``(request id, order)`` from a "Credit to order …" button's data, or None."""
    if not data.startswith(CREDIT_COMMAND):
        return None
    return parse_credit_argument(data.removeprefix("/verify "))


def known_where(known: LedgerEntry | Payment | None) -> str | None:
    """Where Lipa has a code already, in a few words (None: nowhere)."""
    if known is None:
        return None
    if isinstance(known, Payment):
        return f"STK payment {known.id}, order {known.order_reference} ({known.status.value})"
    order = f", order {known.order_reference}" if known.order_reference else ""
    return f"{known.source.value} {known.state.value}{order}"


def refund_button(
    language: Language, code: str, facts: TransactionFacts, known: LedgerEntry | Payment | None
) -> Button | None:
    """ "Refund" for a code Lipa counted as paid (a paid payment or a credited till payment):
    it types ``/refund <code>``, so the refund desk checks it as it checks the command."""
    if isinstance(known, Payment):
        counted = known.status is PaymentStatus.PAID
        amount = known.amount
    else:
        counted = known is not None and known.state is LedgerState.CREDITED
        amount = facts.amount or 0
    if not counted:
        return None
    return Button(staff_answers.refund_button(language, code, amount), f"/refund {code}")
