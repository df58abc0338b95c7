"""Parsing the STK Push callback Safaricom POSTs to the ``CallBackURL``.

Everything a callback carries is bounded here, before it can reach SQL: identifiers are
length-checked and refused with a NUL or a lone surrogate in them, ResultDesc loses those
characters instead, and every number is range-checked (both databases refuse what does not fit
their columns, and not with a message a caller could act on).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

from daraja.errors import CallbackError
from daraja.models import StkCallback
from daraja.result_codes import ResultCode
from daraja.signing import NAIROBI

_TRANSACTION_DATE = re.compile(r"\d{14}")
# A ResultCode sent as text that looks like a code (SFC_IC0003) is a failure Daraja names in
# words, not numbers. Digits sent as text stay malformed: "0" must never read as paid.
_NUMERIC_CODE = re.compile(r"[-+]?\d+")
_TEXT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# Characters no database column takes: NUL, and the surrogates JSON can smuggle in alone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In a body: an exponent, or a number long enough to overflow a float (309 digits).
_OVERFLOWING = re.compile(rb"[0-9](?:[eE]|[0-9]{308})")

# Bounds: the columns these land in, with room above anything Daraja sends.
MAX_ID_LENGTH = 64  # MerchantRequestID, CheckoutRequestID (ws_CO_… is about 40)
MAX_RECEIPT_LENGTH = 32  # MpesaReceiptNumber (10 today)
MAX_DESCRIPTION_LENGTH = 1024  # ResultDesc
MAX_PHONE_LENGTH = 128  # PhoneNumber: digits, masked (2547****5678) or a hash
MIN_RESULT_CODE = -(2**31)  # the result code column is a 32-bit integer
MAX_RESULT_CODE = 2**31 - 1
MAX_AMOUNT = 10**9  # far above any M-Pesa transaction; beyond it a number is garbage
MAX_DEPTH = 32  # a real callback nests 6 deep


def _refuse_constant(name: str) -> NoReturn:
    # json accepts NaN and Infinity, which no Daraja callback contains.
    raise CallbackError(f"callback contains {name}")


def load_callback(body: bytes | str | Mapping[str, Any]) -> Any:
    """The JSON of a callback body (a mapping is returned as is); CallbackError if it is none."""
    if isinstance(body, Mapping):
        return body
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise CallbackError("callback is not UTF-8 text") from None
    if not isinstance(body, str):
        raise CallbackError("callback must be bytes, str or a mapping")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, CallbackError):
            raise
        raise CallbackError("callback is not valid JSON") from None


def _mapping(value: Any, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise CallbackError(f"{where} is missing or not an object")
    return value


def _string(value: Any, where: str, *, max_length: int) -> str:
    """An identifier: a non-empty string of at most ``max_length`` storable characters."""
    if not isinstance(value, str) or not value:
        raise CallbackError(f"{where} is missing or not a non-empty string")
    if len(value) > max_length:
        raise CallbackError(f"{where} is longer than {max_length} characters")
    if _UNSTORABLE.search(value):
        raise CallbackError(f"{where} contains a NUL or a lone surrogate")
    return value


def storable_text(value: str) -> str:
    """``value`` without the characters no database stores (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("", value)


def _description(value: Any) -> str:
    # Free text from Safaricom: a stray NUL costs the character, not the callback.
    if not isinstance(value, str):
        raise CallbackError("ResultDesc is missing or not a string")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise CallbackError(f"ResultDesc is longer than {MAX_DESCRIPTION_LENGTH} characters")
    return storable_text(value)


def _result_code(value: Any) -> tuple[int | None, str | None]:
    """The ResultCode as (number, None), or (None, text) for a code like ``SFC_IC0003``."""
    if isinstance(value, str):
        if _TEXT_CODE.fullmatch(value) and not _NUMERIC_CODE.fullmatch(value):
            return None, value
        raise CallbackError("ResultCode is neither a number nor a code")
    # bool is an int subclass; a true/false ResultCode is malformed, not 1 or 0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise CallbackError("ResultCode is missing or not an integer")
    if not MIN_RESULT_CODE <= value <= MAX_RESULT_CODE:
        raise CallbackError("ResultCode is out of range")
    return int(value), None


def _items(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    items = _mapping(metadata, "CallbackMetadata").get("Item")
    if not isinstance(items, list | tuple):
        raise CallbackError("CallbackMetadata.Item is missing or not a list")
    found: dict[str, Any] = {}
    for item in items:
        name = _string(
            _mapping(item, "a CallbackMetadata item").get("Name"), "an item's Name", max_length=64
        )
        if name in found:
            # Two Amounts (say) would let a forged body pick which one we read.
            raise CallbackError(f"item {name} appears twice")
        found[name] = item.get("Value")  # Balance arrives without a Value
    return found


def _amount(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CallbackError("Amount is not a number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CallbackError("Amount is not a whole number of shillings")
        value = int(value)
    if value < 1:
        raise CallbackError("Amount is below 1")
    if value > MAX_AMOUNT:
        raise CallbackError("Amount is out of range")
    return int(value)


def _transaction_date(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CallbackError("TransactionDate is not YYYYMMDDHHmmss")
    digits = str(value)
    if not _TRANSACTION_DATE.fullmatch(digits):
        raise CallbackError("TransactionDate is not YYYYMMDDHHmmss")
    parts = (digits[0:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:14])
    year, month, day, hour, minute, second = (int(part) for part in parts)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=NAIROBI)
    except ValueError:
        raise CallbackError("TransactionDate is not a real date and time") from None


def _phone(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 < value < 10**15:  # E.164 has at most 15 digits
            raise CallbackError("PhoneNumber is out of range")
        return str(value)
    if isinstance(value, str) and value:
        # May be masked or hashed by Safaricom.
        return _string(value, "PhoneNumber", max_length=MAX_PHONE_LENGTH)
    raise CallbackError("PhoneNumber is not a number or a string")


def _parse(data: Any) -> StkCallback:
    body = _mapping(_mapping(data, "the callback").get("Body"), "Body")
    callback = _mapping(body.get("stkCallback"), "Body.stkCallback")
    result_code, code_text = _result_code(callback.get("ResultCode"))
    items = _items(callback.get("CallbackMetadata"))
    amount = _amount(items.get("Amount"))
    receipt = items.get("MpesaReceiptNumber")
    if receipt is not None:
        receipt = _string(receipt, "MpesaReceiptNumber", max_length=MAX_RECEIPT_LENGTH)
    if result_code == ResultCode.PAID and (amount is None or receipt is None):
        raise CallbackError("a successful callback lacks Amount or MpesaReceiptNumber")
    return StkCallback(
        merchant_request_id=_string(
            callback.get("MerchantRequestID"), "MerchantRequestID", max_length=MAX_ID_LENGTH
        ),
        checkout_request_id=_string(
            callback.get("CheckoutRequestID"), "CheckoutRequestID", max_length=MAX_ID_LENGTH
        ),
        result_code=result_code,
        result_desc=_description(callback.get("ResultDesc")),
        amount=amount,
        receipt_number=receipt,
        transaction_date=_transaction_date(items.get("TransactionDate")),
        phone=_phone(items.get("PhoneNumber")),
        result_code_text=code_text,
    )


def storable_as_loaded(body: bytes) -> bool:
    """Whether the JSON :func:`load_callback` reads from ``body`` is already what
    :func:`storable_json` makes of it, so that a callback needs no storable copy.

    True only for a body with no escape sequence (strict JSON read from UTF-8 holds a NUL or
    a lone surrogate only through one), no exponent and no 309-digit run (the only numbers
    that read as infinity), and too few brackets to nest past ``MAX_DEPTH``: every Daraja
    callback seen so far. Anything else (even in a string) says False, and is copied.
    """
    brackets = body.count(b"{") + body.count(b"[")
    return brackets <= MAX_DEPTH and b"\\" not in body and _OVERFLOWING.search(body) is None


def storable_json(data: Any, *, depth: int = 0) -> Any:
    """``data`` (loaded JSON) as every database stores it: no NUL, no lone surrogate.

    The callback is kept in the audit trail as sent, short of those characters, which neither
    PostgreSQL's JSONB nor a UTF-8 column take. Nesting deeper than any callback (``MAX_DEPTH``)
    is refused with CallbackError.
    """
    if depth > MAX_DEPTH:
        raise CallbackError("callback is nested too deeply")
    if isinstance(data, str):
        return storable_text(data)
    if isinstance(data, Mapping):
        return {
            storable_text(str(key)): storable_json(value, depth=depth + 1)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [storable_json(value, depth=depth + 1) for value in data]
    if isinstance(data, float) and not math.isfinite(data):
        # json reads 1e400 as infinity, which no JSON column takes back.
        raise CallbackError("callback contains a number out of range")
    return data


def parse_callback(body: bytes | str | Mapping[str, Any]) -> StkCallback:
    """Return the callback in ``body``; raise CallbackError, and nothing else, if it is malformed.

    Items are found by ``Name`` in any order; an item without ``Value`` counts as absent. A
    success (ResultCode 0) must carry a whole Amount and a receipt number.
    """
    try:
        return _parse(load_callback(body))
    except CallbackError:
        raise
    except Exception as exc:
        # The body comes from the internet: whatever a hostile mapping does (a __getitem__ that
        # raises, say) is reported as a malformed callback, never as a crash of the caller.
        raise CallbackError(f"malformed callback ({type(exc).__name__})") from exc
