"""The web presenter: turns what the payment service stored into what the page says.

Every sentence about a payment is the chat's own (the presenters of
:mod:`checkout.i18n.payments.messages`: ``customer_reply``, ``push_sent_text`` and
``push_failed_text``), so the page, Telegram and USSD tell a customer the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from checkout.domain.money import format_number
from checkout.domain.outcomes import PaymentOutcome, PushProblem
from checkout.domain.phones import PhoneError, display_phone
from checkout.domain.records import Language, Order, Payment, PaymentStatus
from checkout.i18n.contact import BusinessContact
from checkout.i18n.payments.messages import customer_reply, push_failed_text, push_sent_text

# How a push that never reached the phone is recorded (checkout.payments.start.record_push_failure).
_PUSH_FAILURE_PREFIX = "push "


class State(StrEnum):
    """Where the order's latest payment stands, as the page shows it."""

    NONE = "none"  # no payment yet: the form
    PENDING = "pending"  # "Check your phone…", following the payment live
    PAID = "paid"  # "Paid: …", the receipt, the form for what is left
    FAILED = "failed"  # the reason, and "Try again" (the form)


@dataclass(frozen=True, slots=True)
class StatusView:
    """The status line of the page, and what the live status endpoints send."""

    state: State
    text: str
    payment_id: int | None = None

    @property
    def final(self) -> bool:
        """Whether the payment will not change any more (the page stops following it)."""
        return self.state is not State.PENDING

    def to_json(self) -> dict[str, object]:
        """The JSON the status endpoint and the event stream send."""
        return {
            "state": self.state.value,
            "text": self.text,
            "payment": "" if self.payment_id is None else str(self.payment_id),
            "final": self.final,
        }


def status_view(
    language: Language, payment: Payment | None, order: Order, *, contact: BusinessContact
) -> StatusView:
    """What the page says about the order's latest payment (``contact``: how a payment M-Pesa
    never confirmed tells the customer to reach the business)."""
    if payment is None:
        return StatusView(State.NONE, "")
    if payment.status is PaymentStatus.PENDING:
        text = push_sent_text(language, payment, phone=_shown_phone(payment.phone))
        return StatusView(State.PENDING, text, payment.id)
    if payment.status is PaymentStatus.PAID:
        # Written in the page's language, whatever language the payment was made in.
        shown = _in_language(payment, language)
        text = customer_reply(PaymentOutcome(shown, order), contact=contact).text
        return StatusView(State.PAID, text, payment.id)
    problem = _push_problem(payment)
    if problem is not None:
        return StatusView(State.FAILED, push_failed_text(language, problem), payment.id)
    shown = _in_language(payment, language)
    text = customer_reply(PaymentOutcome(shown, order), contact=contact).text
    return StatusView(State.FAILED, text, payment.id)


def _in_language(payment: Payment, language: Language) -> Payment:
    return replace(payment, language=language)


def _push_problem(payment: Payment) -> PushProblem | None:
    """The push problem of a payment whose push never reached the phone, if that is how it ended."""
    description = payment.result_description or ""
    if payment.result_code is not None or not description.startswith(_PUSH_FAILURE_PREFIX):
        return None
    try:
        return PushProblem(description.removeprefix(_PUSH_FAILURE_PREFIX))
    except ValueError:
        return None


def _shown_phone(phone: str) -> str:
    try:
        return display_phone(phone)
    except PhoneError:
        return phone


def balance_text(order: Order) -> str:
    """The order's balance as the page shows it: ``KES 1,500``."""
    return f"KES {format_number(order.balance)}"
