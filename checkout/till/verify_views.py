"""The words of "I already paid" and /verify: outcomes and M-Pesa's answer, as replies.

The texts are in :mod:`checkout.i18n.verify`; this module picks them for an outcome and fills
them in, and builds the staff's "Credit to order …" buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.phones import mask_phone
from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.replies import Button, Reply
from checkout.domain.time import NAIROBI
from checkout.i18n import staff_answers
from checkout.i18n.texts import t
from checkout.i18n.times import clock_time
from checkout.till.records import LedgerEntry, LedgerState
from checkout.till.status import TransactionFacts, VerifyOutcome

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


def customer_text(
    language: Language,
    outcome: VerifyOutcome,
    *,
    code: str,
    order: str,
    amount: int | None = None,
    balance: int | None = None,
) -> str:
    """What the customer is told of their code (a credit is told by the crediting itself)."""
    return t(
        language,
        f"verify_{outcome.value}",
        code=code,
        order=order,
        amount=format_number(amount) if amount is not None else "-",
        balance=format_number(balance) if balance is not None else "-",
    )


def staff_reason(language: Language, outcome: VerifyOutcome, *, code: str, order: str) -> str:
    """Why a code was not credited, for the staff (the customer's words serve)."""
    text = customer_text(language, outcome, code=code, order=order)
    return text.rstrip(".")


def facts_lines(language: Language, code: str, facts: TransactionFacts) -> list[str]:
    """What M-Pesa says of a code, for the staff: status, amount, payer, time, shortcode."""
    if not facts.found:
        return [
            t(
                language,
                "staff_verify_not_found",
                code=code,
                result="-" if facts.result_code is None else str(facts.result_code),
                description=facts.result_description or "-",
            )
        ]
    when = "-"
    if facts.finalised_at is not None:
        local = facts.finalised_at.astimezone(NAIROBI)
        when = f"{local:%d/%m/%Y} {clock_time(language, local.time())}"
    payer = facts.payer_name or "-"
    if facts.debit_phone:
        payer = f"{payer} ({mask_phone(facts.debit_phone)})"
    shortcode = facts.credit_shortcode or "-"
    if facts.credit_name:
        shortcode = f"{shortcode} {facts.credit_name}"
    return [
        t(
            language,
            "staff_verify_report",
            code=code,
            status=facts.status or "-",
            amount=format_number(facts.amount) if facts.amount is not None else "-",
            payer=payer,
            time=when,
            shortcode=shortcode,
        )
    ]


def known_where(known: LedgerEntry | Payment | None) -> str | None:
    """Where Lipa has a code already, in a few words (None: nowhere)."""
    if known is None:
        return None
    if isinstance(known, Payment):
        return f"STK payment {known.id}, order {known.order_reference} ({known.status.value})"
    order = f", order {known.order_reference}" if known.order_reference else ""
    return f"{known.source.value} {known.state.value}{order}"


def staff_report(
    language: Language,
    code: str,
    facts: TransactionFacts,
    *,
    ours: bool,
    known: LedgerEntry | Payment | None,
    request_id: int,
    orders: Sequence[str],
) -> Reply:
    """The staff's answer to /verify: M-Pesa's facts, where Lipa has the code, and buttons."""
    lines = facts_lines(language, code, facts)
    where = known_where(known)
    creditable = facts.completed and ours and where is None
    if facts.found and not ours:
        lines.append(t(language, "staff_verify_elsewhere"))
    if where is not None:
        lines.append(t(language, "staff_verify_known", where=where))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if creditable:
        lines.append(t(language, "staff_verify_pick", code=code))
        buttons = tuple(
            (
                Button(
                    t(language, "button_credit_to_order", order=order),
                    credit_data(request_id, order),
                ),
            )
            for order in orders
        )
    refund = refund_button(language, code, facts, known)
    if refund is not None:
        buttons = (*buttons, (refund,))
    return Reply("\n".join(lines), buttons=buttons)


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
