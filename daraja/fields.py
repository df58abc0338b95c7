"""Reading the loosely typed fields of Daraja's C2B, Result and Pull bodies, bounded.

Daraja sends the same value as a string in one body and a number in another ("10.00", 10,
10.0; 20191122063845 or "20191122063845"). These readers accept each documented form, bound
every length before a value can reach SQL, and raise CallbackError for anything else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from daraja.callback import MAX_AMOUNT, storable_text
from daraja.errors import CallbackError
from daraja.signing import NAIROBI

_STAMP = re.compile(r"\d{14}")
# "2026-12-01 08:00:00" or "2020-08-05T10:13:00.000+03:00" (Pull).
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?")
_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,4})?")
_CODE_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_NUMERIC = re.compile(r"[-+]?\d+")

MIN_CODE = -(2**31)
MAX_CODE = 2**31 - 1


def mapping(value: Any, where: str) -> Mapping[Any, Any]:
    """``value`` if it is a JSON object, else CallbackError naming ``where``."""
    if not isinstance(value, Mapping):
        raise CallbackError(f"{where} is missing or not an object")
    return value


def optional_text(value: Any, where: str, *, max_length: int) -> str | None:
    """A free-text field: None when absent or empty, NUL-free, at most ``max_length`` long.

    Numbers are taken as their text (a shortcode or phone sent as a JSON number).
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise CallbackError(f"{where} is not a string")
    if len(value) > max_length:
        raise CallbackError(f"{where} is longer than {max_length} characters")
    cleaned = storable_text(value)
    return cleaned or None


def required_id(value: Any, where: str, *, max_length: int) -> str:
    """An identifier: a non-empty string of at most ``max_length`` characters, no blanks."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise CallbackError(f"{where} is missing or empty")
    if len(value) > max_length:
        raise CallbackError(f"{where} is longer than {max_length} characters")
    if storable_text(value) != value or any(char.isspace() for char in value):
        raise CallbackError(f"{where} contains blanks, a NUL or a lone surrogate")
    return value


def whole_shillings(value: Any, where: str, *, minimum: int = 1) -> int:
    """An amount sent as "10.00", "10", 10 or 10.0, as whole shillings.

    A fraction of a shilling ("10.50") is refused, never rounded: Lipa's money is whole
    shillings and a payment of 10.50 must not be credited as 10 or 11.
    """
    if isinstance(value, bool) or value is None:
        raise CallbackError(f"{where} is missing or not an amount")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CallbackError(f"{where} is not a finite number")
        number = Decimal(repr(value))
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise CallbackError(f"{where} is not an amount") from None
    else:
        raise CallbackError(f"{where} is not an amount")
    if number != number.to_integral_value():
        raise CallbackError(f"{where} is not a whole number of shillings")
    amount = int(number)
    if amount < minimum:
        raise CallbackError(f"{where} is below {minimum}")
    if amount > MAX_AMOUNT:
        raise CallbackError(f"{where} is out of range")
    return amount


def nairobi_time(value: Any, where: str) -> datetime | None:
    """``YYYYMMDDHHmmss`` (text or number) or ISO ``YYYY-MM-DD HH:MM:SS[.fff][+03:00]``.

    A time without an offset is Nairobi time; one with an offset is converted to Nairobi time.
    None when absent or empty; CallbackError when present but not a real date and time.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CallbackError(f"{where} is not a date and time")
    text = str(value).strip()
    try:
        if _STAMP.fullmatch(text):
            parts = [text[0:4], text[4:6], text[6:8], text[8:10], text[10:12], text[12:14]]
            year, month, day, hour, minute, second = (int(part) for part in parts)
            return datetime(year, month, day, hour, minute, second, tzinfo=NAIROBI)
        if _ISO.fullmatch(text):
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                return moment.replace(tzinfo=NAIROBI)
            return moment.astimezone(NAIROBI)
    except ValueError:
        raise CallbackError(f"{where} is not a real date and time") from None
    raise CallbackError(f"{where} is not a date and time")


def result_code(value: Any, where: str = "ResultCode") -> tuple[int | None, str | None]:
    """A result code as (number, None), or (None, text) for a code like ``SFC_IC0003``.

    Digits sent as text are malformed, as in the STK callback: "0" must never read as success.
    """
    if isinstance(value, str):
        if _CODE_TEXT.fullmatch(value) and not _NUMERIC.fullmatch(value):
            return None, value
        raise CallbackError(f"{where} is neither a number nor a code")
    if not isinstance(value, int) or isinstance(value, bool):
        raise CallbackError(f"{where} is missing or not an integer")
    if not MIN_CODE <= value <= MAX_CODE:
        raise CallbackError(f"{where} is out of range")
    return int(value), None


def scalar(value: Any, where: str, *, max_length: int = 1024) -> str | int | float | None:
    """A parameter's Value: text (bounded, NUL-free), a finite number, or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        if abs(value) >= 10**18:
            raise CallbackError(f"{where} is out of range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CallbackError(f"{where} is not a finite number")
        return value
    if isinstance(value, str):
        if len(value) > max_length:
            raise CallbackError(f"{where} is longer than {max_length} characters")
        return storable_text(value)
    raise CallbackError(f"{where} is not a text or a number")
