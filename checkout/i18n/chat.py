"""The conversation's words: a message the flow chose (a key and its parameters), worded for its
channel.

The flow's steps choose what to say by key (``order_ask``, ``amount_too_small`` with its
bound); this module turns the choice into the customer's language, using a text's ``ussd_``
wording on USSD where it has one (a screen holds fewer characters).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import AmountError, AmountReason
from checkout.domain.records import Language
from checkout.i18n.texts import TEXTS, t

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
