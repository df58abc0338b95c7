"""The chat's words: a message the conversation chose (a key and its parameters), worded for
its reader and channel.

The flow's steps choose what to say by key (``order_ask``, ``amount_too_small`` with its
bound); this module turns the choice into the customer's language, using a text's ``ussd_``
wording on USSD where it has one (a screen holds fewer characters), and writes the dates and
receipts the chat's and the plans' messages show (:mod:`checkout.i18n.plans`). Every channel
says a refused amount or number, and "something went wrong", in these same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from checkout.domain.money import AmountError, AmountReason
from checkout.domain.phones import PhoneError
from checkout.domain.records import Language
from checkout.domain.time import NAIROBI
from checkout.i18n.texts import TEXTS, receipt, t

# The placeholder each amount rule's text gives its bound.
_AMOUNT_BOUND: Final[Mapping[AmountReason, str]] = {
    AmountReason.TOO_SMALL: "minimum",
    AmountReason.TOO_LARGE: "maximum",
    AmountReason.ABOVE_BALANCE: "balance",
}


def chat_text(language: Language, key: str, *, ussd: bool = False, **params: object) -> str:
    """The text ``key`` in ``language``; on USSD its ``ussd_`` wording, if it has one."""
    if ussd and f"ussd_{key}" in TEXTS[language]:
        key = f"ussd_{key}"
    return t(language, key, **params)


def amount_rule_text(language: Language, error: AmountError, *, ussd: bool = False) -> str:
    """What every channel says about a refused amount (the web page puts it by the field)."""
    name = _AMOUNT_BOUND.get(error.reason)
    bound = {name: error.limit} if name is not None and error.limit is not None else {}
    return chat_text(language, f"amount_{error.reason.value}", ussd=ussd, **bound)


def phone_rule_text(language: Language, error: PhoneError, *, ussd: bool = False) -> str:
    """What every channel says about a refused M-Pesa number (the web page puts it by the field)."""
    return chat_text(language, f"phone_{error.reason.value}", ussd=ussd)


def sorry_text(language: Language) -> str:
    """What a customer reads instead of an error the channel could not handle ("Sorry,
    something went wrong on our side")."""
    return t(language, "something_went_wrong")


def plan_date(language: Language, moment: datetime) -> str:
    """A due date as customers read it: the Nairobi weekday and ``dd/mm`` (``Fri 05/12``)."""
    local = moment.astimezone(NAIROBI)
    return f"{t(language, f'weekday_{local.weekday()}')} {local:%d/%m}"


def receipt_text(language: Language, receipt_number: str | None) -> str:
    """The receipt as a customer reads it: the number, or "to follow" while it is unknown."""
    return receipt(language, receipt_number)
