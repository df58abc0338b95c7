"""Amounts of money: whole Kenyan shillings, parsed from what customers type and checked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Final

MIN_AMOUNT: Final = 1
MAX_AMOUNT: Final = 250_000  # Daraja's per-transaction limit for M-Pesa Express

# A currency word before or after the number: KES, Kes., Ksh, KShs, Sh, Shs.
_CURRENCY = r"(?:kes|kshs?|shs?)\.?"
_AMOUNT = re.compile(
    rf"""
    (?:{_CURRENCY}\s*)?
    (?P<minus>-\s*)?
    (?P<whole>
        [1-9][0-9]{{0,2}}(?P<sep>[, ])[0-9]{{3}}(?:(?P=sep)[0-9]{{3}})*  # 1,500 / 1 500 / 1,500,000
        | [0-9]+                                                       # 1500
    )
    (?:\.(?P<fraction>[0-9]+))?
    \s*(?:/=|/-|{_CURRENCY})?  # 1500/= and 1500/- are how prices are written in Kenya
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# Spaces phones and keyboards put inside numbers: no-break, narrow no-break, thin.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


class AmountReason(StrEnum):
    """Why an amount was refused; each names a rule the customer is told."""

    NOT_A_NUMBER = "not_a_number"
    NOT_WHOLE = "not_whole"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    ABOVE_BALANCE = "above_balance"


class AmountError(ValueError):
    """An amount broke a rule; ``limit`` is the bound it broke (shillings), if any."""

    def __init__(self, reason: AmountReason, limit: int | None = None) -> None:
        detail = reason.value if limit is None else f"{reason.value} (limit {limit})"
        super().__init__(detail)
        self.reason = reason
        self.limit = limit


def parse_amount(text: str, balance: int | None = None) -> int:
    """Whole shillings from ``1,500``, ``KES 1500``, ``Ksh 1,500.00``, ``1500/=`` and the like.

    Raises :class:`AmountError` for anything else, or for an amount :func:`check_amount` refuses.
    """
    if not isinstance(text, str):
        raise AmountError(AmountReason.NOT_A_NUMBER)
    match = _AMOUNT.fullmatch(text.translate(_SPACES).strip())
    if match is None:
        raise AmountError(AmountReason.NOT_A_NUMBER)
    fraction = match["fraction"]
    if fraction is not None and fraction.strip("0"):
        raise AmountError(AmountReason.NOT_WHOLE)
    if match["minus"] is not None:
        raise AmountError(AmountReason.TOO_SMALL, MIN_AMOUNT)
    digits = re.sub("[, ]", "", match["whole"]).lstrip("0") or "0"
    # Decide on length first: int() refuses strings of thousands of digits with its own error.
    if len(digits) > len(str(MAX_AMOUNT)):
        raise AmountError(AmountReason.TOO_LARGE, MAX_AMOUNT)
    return check_amount(int(digits), balance)


def check_amount(amount: int, balance: int | None = None) -> int:
    """Return ``amount`` if it is 1..250,000 and at most ``balance``; else raise AmountError."""
    # bool is an int subclass; True must not become one shilling.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountError(AmountReason.NOT_A_NUMBER)
    if amount < MIN_AMOUNT:
        raise AmountError(AmountReason.TOO_SMALL, MIN_AMOUNT)
    if balance is not None and amount > balance and balance < MAX_AMOUNT:
        # The order's balance is the tighter bound, so it is the rule worth telling.
        raise AmountError(AmountReason.ABOVE_BALANCE, max(balance, 0))
    if amount > MAX_AMOUNT:
        raise AmountError(AmountReason.TOO_LARGE, MAX_AMOUNT)
    return amount


def format_number(amount: int) -> str:
    """Digits grouped by commas: ``1500`` → ``"1,500"``."""
    return f"{amount:,}"


def format_numbers(params: Mapping[str, object]) -> dict[str, object]:
    """``params`` with every integer (not a bool) grouped by :func:`format_number`, the rest
    as given: what a text's placeholders are filled with."""
    return {
        name: format_number(value)
        if isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in params.items()
    }


def format_kes(amount: int) -> str:
    """An amount as customers read it: ``1500`` → ``"KES 1,500"``."""
    return f"KES {format_number(amount)}"
