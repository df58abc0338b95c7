"""The words of "I already paid" and /verify: outcomes and M-Pesa's answer, as replies.

The texts are in :mod:`checkout.i18n.catalogue.verify`; this module picks them for a
:class:`~checkout.domain.outcomes.VerifyOutcome` or M-Pesa's facts and fills them in. The
services (:mod:`checkout.till.verify.service`, the conversation's "I already paid") decide;
they never choose a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from checkout.domain.money import format_number
from checkout.domain.outcomes import VerifyOutcome
from checkout.domain.phones import PhoneError, display_phone, mask_phone, normalise_phone
from checkout.domain.records import Language, TransactionFacts
from checkout.domain.replies import Button, Reply
from checkout.domain.time import NAIROBI
from checkout.i18n.contact import BusinessContact
from checkout.i18n.texts import t
from checkout.i18n.times import clock_time


def customer_text(
    language: Language,
    outcome: VerifyOutcome,
    *,
    code: str,
    order: str,
    amount: int | None = None,
    balance: int | None = None,
    contact: BusinessContact,
) -> str:
    """What the customer is told of their code (a credit is told by the crediting itself);
    ``contact`` says how the answers that send them to the business do."""
    return contact.t(
        language,
        f"verify_{outcome.value}",
        code=code,
        order=order,
        amount=format_number(amount) if amount is not None else "-",
        balance=format_number(balance) if balance is not None else "-",
    )


def staff_reason(
    language: Language, outcome: VerifyOutcome, *, code: str, order: str, contact: BusinessContact
) -> str:
    """Why a code was not credited, for the staff (the customer's words serve)."""
    text = customer_text(language, outcome, code=code, order=order, contact=contact)
    return text.rstrip(".")


def facts_lines(
    language: Language, code: str, facts: TransactionFacts, *, full: bool = False
) -> list[str]:
    """What M-Pesa says of a code, for the staff: status, amount, payer, time, shortcode.

    ``full`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): the payer's name and whole
    number when M-Pesa gave them; otherwise the number masked and no name.
    """
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
    payer = (facts.payer_name if full else None) or "-"
    if facts.debit_phone:
        payer = f"{payer} ({_payer_phone(facts.debit_phone, full=full)})"
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


def _payer_phone(phone: str, *, full: bool) -> str:
    """M-Pesa's debit number as the chat may read it: whole (spaced out) only when ``full``."""
    if "*" in phone:
        return phone  # masked by M-Pesa already
    if full:
        try:
            return display_phone(normalise_phone(phone))
        except PhoneError:
            return phone  # not a number Lipa can read: as M-Pesa gave it
    return mask_phone(phone)


def staff_report(
    language: Language,
    code: str,
    facts: TransactionFacts,
    *,
    ours: bool,
    where: str | None,
    credit_data: Callable[[int, str], str],
    request_id: int,
    orders: Sequence[str],
    refund: Button | None = None,
    full: bool = False,
) -> Reply:
    """The staff's answer to /verify: M-Pesa's facts, where Lipa has the code, and buttons.

    ``where`` says where Lipa has the code already (None: nowhere); each order's "Credit to
    order" button carries ``credit_data(request_id, order)``; ``refund`` (a code Lipa counted
    as paid) is offered last. ``full``: the payer's whole number (see :func:`facts_lines`).
    """
    lines = facts_lines(language, code, facts, full=full)
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
    if refund is not None:
        buttons = (*buttons, (refund,))
    return Reply("\n".join(lines), buttons=buttons)


def verify_off_text(language: Language, code: str, *, contact: BusinessContact) -> str:
    """The customer's answer to a code while this business cannot ask M-Pesa about codes."""
    return contact.t(language, "verify_off", code=code)


def staff_unavailable_text(language: Language, code: str, reason: str) -> str:
    """The staff's /verify could not reach M-Pesa, and why."""
    return t(language, "staff_verify_unavailable", code=code, reason=reason)


def staff_customer_unanswered_text(language: Language, code: str, order: str, reason: str) -> str:
    """M-Pesa never answered about a customer's code: the staff may check it by hand."""
    return t(language, "staff_verify_customer_unanswered", code=code, order=order, reason=reason)


def staff_customer_refused_text(language: Language, code: str, order: str, reason: str) -> str:
    """A customer's code was not credited to their order, and why."""
    return t(language, "staff_verify_customer_refused", code=code, order=order, reason=reason)
