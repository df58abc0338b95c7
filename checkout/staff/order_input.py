"""What staff type after /neworder's amount: a customer's phone number, then a description."""

from __future__ import annotations

import re
from typing import Final

from checkout.domain.phones import PhoneError, normalise_phone

# A word of a phone number as staff type it: digits, maybe a leading "+", maybe dashes.
_PHONE_WORD: Final = re.compile(r"\+?[0-9][0-9-]*")
# This many digits after the amount are a phone number typed wrong, not a description:
# "/neworder 1500 0812" is a number cut short, and saving it as the description would lose it.
_PHONE_DIGITS: Final = 4


class WrongPhone(ValueError):
    """What staff typed after the amount looks like a phone number but is not a Kenyan mobile."""

    def __init__(self, typed: str, reason: str) -> None:
        super().__init__(reason)
        self.typed = typed
        self.reason = reason


def phone_and_description(rest: str) -> tuple[str | None, str | None]:
    """Split what follows /neworder's amount into a phone number and a description.

    The leading words made of digits (``0712 345 678``, ``+254712345678``) are the phone
    number when they make a Kenyan mobile number; the rest is the description. When they
    hold four digits or more but make no valid number, raises :class:`WrongPhone` with the
    reason (``invalid``, ``not_mobile`` or ``not_kenyan``), rather than save a mistyped
    number as the description. Fewer digits ("2 shirts") start the description.
    """
    words = rest.split()
    if not words:
        return None, None
    leading = 0
    while leading < len(words) and _PHONE_WORD.fullmatch(words[leading]):
        leading += 1
    # The longest run of leading words that is a valid number: "0712 345 678 2 shirts".
    for count in range(leading, 0, -1):
        candidate = " ".join(words[:count])
        try:
            normalise_phone(candidate)
        except PhoneError:
            continue
        return candidate, " ".join(words[count:]) or None
    typed = " ".join(words[:leading])
    if sum(character.isdigit() for character in typed) >= _PHONE_DIGITS:
        try:
            normalise_phone(typed)
        except PhoneError as error:
            raise WrongPhone(typed, error.reason.value) from None
    return None, " ".join(words)
