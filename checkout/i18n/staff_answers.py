"""The staff desk's answers in words: payment lines of ``/find`` and ``/pending``, ``/verify``'s
replies, and the texts the desk sends for the staff (English and Swahili).

The staff services (:mod:`checkout.staff.commands`, :mod:`checkout.staff.verify`) decide what
happened; the staff presenter (:mod:`checkout.staff.views`) says it with these, so no staff
module needs the text catalogue itself. A
customer's number is whole (``0712 345 678``), with their name where Telegram or M-Pesa gave
one, only when ``full`` is set: a staff user's private chat with the bot and
STAFF_SEE_FULL_PHONES on; anywhere else the number is masked and the name left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.phones import PhoneError, display_phone, mask_phone
from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.summaries import FoundPayment
from checkout.i18n import texts
from checkout.i18n.staff import st

# A moment as the desk writes it ("04/12 saa nne asubuhi (10:00)").
TimeOf = Callable[[Language, datetime], str]


def phone_for_staff(phone: str, *, full: bool) -> str:
    """A customer's number for a staff answer: whole and spaced out when ``full``, else masked."""
    if full:
        try:
            return display_phone(phone)
        except PhoneError:
            return phone  # a number M-Pesa masked already: shown as it came
    return phone if "*" in phone else mask_phone(phone)


def customer_for_staff(phone: str, name: str | None, *, full: bool) -> str:
    """The customer in a staff answer: "Wanjiku (0712 345 678)" when ``full``, else masked.

    A name (cleaned and capped when stored) is shown only with the whole number: a group
    reads neither. Answers are plain text, so a name needs no escaping there.
    """
    shown = phone_for_staff(phone, full=full)
    return f"{name} ({shown})" if full and name else shown


def status_word(language: Language, status: PaymentStatus) -> str:
    """A payment's status as the customer texts name it ("Paid", "Cancelled")."""
    return texts.t(language, f"payment_status_{status.value}")


def pending_line(
    language: Language,
    payment: Payment,
    time_of: TimeOf,
    *,
    full: bool,
    name: str | None = None,
) -> str:
    """A payment waiting for M-Pesa, one line of ``/pending`` (``name``: its customer's)."""
    return st(
        language,
        "pending_line",
        id=str(payment.id),
        time=time_of(language, payment.created_at),
        amount=payment.amount,
        order=payment.order_reference,
        phone=customer_for_staff(payment.phone, name, full=full),
    )


def found_payment(
    language: Language,
    item: FoundPayment,
    time_of: TimeOf,
    *,
    full: bool,
    link: str | None = None,
) -> str:
    """A payment ``/find`` found, with its receipt link and its audit trail."""
    payment = item.payment
    key = "find_payment" if payment.receipt_number else "find_payment_no_receipt"
    lines = [
        st(
            language,
            key,
            id=str(payment.id),
            status=status_word(language, payment.status),
            amount=payment.amount,
            order=payment.order_reference,
            phone=customer_for_staff(payment.phone, item.name, full=full),
            receipt=payment.receipt_number or "",
            time=time_of(language, payment.created_at),
            channel=payment.channel.value,
        )
    ]
    if link is not None:
        lines.append(st(language, "find_receipt_link", link=link))
    for entry in item.audit:
        lines.append(
            st(
                language,
                "find_event_note" if entry.note else "find_event",
                time=time_of(language, entry.received_at),
                kind=entry.kind,
                note=(entry.note or "")[:120],
            )
        )
    return "\n".join(lines)


_REFUND_BUTTON: Final[Mapping[Language, str]] = {
    "en": "Refund {receipt} (KES {amount})",
    "sw": "Rejesha {receipt} (KES {amount})",
}


def refund_button(language: Language, receipt: str, amount: int) -> str:
    """The label of the "Refund" button under a paid payment (it types ``/refund <receipt>``)."""
    return _REFUND_BUTTON[language].format(receipt=receipt, amount=format_number(amount))


class VerifySaid(StrEnum):
    """What the ``/verify`` desk answers at once (M-Pesa's own answer follows on its own)."""

    USAGE = "usage"
    INVALID = "invalid"  # not an M-Pesa code
    UNAVAILABLE = "unavailable"  # M-Pesa could not be asked
    CHECKING = "checking"  # asked; the answer follows in this chat
    CREDITED = "credited"  # a "Credit to order …" press credited the code
    EXPIRED = "expired"  # the press came after its answer was gone
    NOT_CREDITED = "not_credited"  # the press was refused: ``reason`` says why


def verify_text(
    language: Language,
    said: VerifySaid,
    *,
    code: str = "",
    text: str = "",
    reason: str = "",
    amount: int | None = None,
    order: str = "",
) -> str:
    """The desk's answer to ``/verify`` or to one of its buttons."""
    params: Mapping[str, object] = {
        "code": code,
        "text": text,
        "reason": reason,
        "amount": format_number(amount or 0),
        "order": order,
    }
    return texts.t(language, _VERIFY_KEYS[said], **params)


_VERIFY_KEYS: Final[Mapping[VerifySaid, str]] = {
    said: f"staff_verify_{said.value}" for said in VerifySaid
}
