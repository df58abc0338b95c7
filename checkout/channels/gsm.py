"""The GSM 03.38 alphabet that USSD screens and SMS use: checking, measuring and fitting text.

A basic phone shows 160 characters of this alphabet in one SMS or USSD screen; one character
outside it (an emoji, a curly quote) switches the whole text to UCS-2, which halves the room
or shows as boxes. Characters of the extension table (``€ [ ] { } | ^ ~ \\``) take two places.
"""

from __future__ import annotations

import unicodedata
from typing import Final

SCREEN_LENGTH: Final = 160  # one SMS, and what a USSD screen shows at most

GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

# Characters phones, keyboards and word processors put in text, and their GSM stand-ins.
_STAND_INS: Final = {
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote (the apostrophe phones type)
    "\u201a": "'",  # low single quote
    "\u201c": '"',  # left double quote
    "\u201d": '"',  # right double quote
    "\u201e": '"',  # low double quote
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\t": " ",
    "`": "'",
    "\u00b4": "'",  # acute accent
}


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 7-bit alphabet (basic or extension)."""
    return all(character in GSM_BASIC or character in GSM_EXTENSION for character in text)


def gsm7_length(text: str) -> int:
    """How many places ``text`` takes in a GSM 7-bit message (extension characters take two)."""
    return sum(2 if character in GSM_EXTENSION else 1 for character in text)


def to_gsm7(text: str) -> str:
    """``text`` with every character a basic phone cannot show replaced by a GSM stand-in.

    Typographic quotes and dashes become their plain forms, accented letters lose accents the
    alphabet lacks (``ô`` → ``o``), invisible formatting characters go, and anything else
    (emoji, symbols) becomes ``?``.
    """
    shown: list[str] = []
    for character in text:
        if character in GSM_BASIC or character in GSM_EXTENSION:
            shown.append(character)
            continue
        stand_in = _STAND_INS.get(character)
        if stand_in is None and unicodedata.category(character) in ("Cf", "Mn"):
            stand_in = ""  # invisible formatting and lone accents: nothing to show
        if stand_in is None:
            plain = unicodedata.normalize("NFKD", character)
            stand_in = "".join(part for part in plain if part in GSM_BASIC) or "?"
        shown.append(stand_in)
    return "".join(shown)
