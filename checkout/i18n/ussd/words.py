"""The USSD channel's own words: its screen furniture, its refusals, its "continue paying?"
screen and the SMS that follows a push queued from a session.

:mod:`checkout.channels.ussd` lays screens out and keeps sessions; the sentences are chosen
and filled in here, from the ``ussd_`` and ``sms_`` texts of the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
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


class UssdLine(StrEnum):
    """A fixed line of the USSD channel's: its screen furniture and its refusals."""

    MORE = "ussd_more"  # the label of "98", which turns a long screen's page
    NAVIGATION = "ussd_navigation"  # under a screen: how to go back or home
    SORRY = "something_went_wrong"  # a request that could not be handled
    PHONE_UNSUPPORTED = "ussd_phone_unsupported"  # a number M-Pesa cannot pay from
    TOO_MANY_INPUTS = "ussd_too_many_inputs"  # more inputs than any honest session sends
    INVALID_CHOICE = "ussd_invalid_choice"  # an answer that matched none of the choices


def line(language: Language, which: UssdLine) -> str:
    """The fixed line ``which`` in ``language``."""
    return t(language, which.value)


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
