"""The USSD channel's own words: its screen furniture, its refusals, its "continue paying?"
screen and the SMS that follows a push queued from a session.

:mod:`checkout.channels.ussd` lays screens out and keeps sessions; the sentences are chosen
and filled in here, from the ``ussd_`` and ``sms_`` texts of the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Language
from checkout.i18n.texts import t

# The SMS telling a USSD caller that the push queued in their session did not go out.
_SMS_KEYS: Final[Mapping[PushProblem, str]] = {
    PushProblem.REFUSED: "sms_push_refused",
    PushProblem.INVALID: "sms_push_refused",
    PushProblem.SUBSCRIBER_LOCKED: "sms_push_subscriber_locked",
    PushProblem.BUSY: "sms_push_unavailable",
    PushProblem.UNAVAILABLE: "sms_push_unavailable",
    PushProblem.MISCONFIGURED: "sms_push_unavailable",
}
_LATE_KEY: Final = "sms_push_late"


def more_label(language: Language) -> str:
    """The label of the "98" choice that turns a long screen's page."""
    return t(language, "ussd_more")


def navigation_line(language: Language) -> str:
    """The line under a screen saying how to go back or home."""
    return t(language, "ussd_navigation")


def sorry_text(language: Language) -> str:
    """A request that could not be handled."""
    return t(language, "something_went_wrong")


def phone_unsupported_text(language: Language) -> str:
    """A caller whose number M-Pesa cannot pay from."""
    return t(language, "ussd_phone_unsupported")


def too_many_inputs_text(language: Language) -> str:
    """A session that sent more inputs than any honest one does."""
    return t(language, "ussd_too_many_inputs")


def invalid_choice_text(language: Language) -> str:
    """The notice above a screen whose answer matched none of its choices."""
    return t(language, "ussd_invalid_choice")


def resume_texts(language: Language, order: str | None, amount: int | None) -> tuple[str, str, str]:
    """The "continue paying?" screen: its question, "Continue paying …" and "Start over"."""
    if amount is not None:
        label = t(language, "ussd_resume_continue", order=order, amount=amount)
    else:
        label = t(language, "ussd_resume_continue_order", order=order)
    return t(language, "ussd_resume_ask"), label, t(language, "ussd_resume_start_over")


def push_given_up_sms(
    language: Language, problem: PushProblem | None, *, amount: int, order: str
) -> str:
    """The SMS saying a queued push did not go out (``problem`` None: not sent in time)."""
    key = _LATE_KEY if problem is None else _SMS_KEYS.get(problem, "sms_push_refused")
    return t(language, key, amount=format_number(amount), order=order)
