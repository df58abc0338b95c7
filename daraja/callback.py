"""Parsing the STK Push callback Safaricom POSTs to the ``CallBackURL``."""

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


def _string(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise CallbackError(f"{where} is missing or not a non-empty string")
    return value


def _integer(value: Any, where: str) -> int:
    # bool is an int subclass; a true/false ResultCode is malformed, not 1 or 0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise CallbackError(f"{where} is missing or not an integer")
    return int(value)


def _items(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    items = _mapping(metadata, "CallbackMetadata").get("Item")
    if not isinstance(items, list | tuple):
        raise CallbackError("CallbackMetadata.Item is missing or not a list")
    found: dict[str, Any] = {}
    for item in items:
        name = _string(_mapping(item, "a CallbackMetadata item").get("Name"), "an item's Name")
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
        return str(value)
    if isinstance(value, str) and value:
        return value  # may be masked or hashed by Safaricom
    raise CallbackError("PhoneNumber is not a number or a string")


def _parse(data: Any) -> StkCallback:
    body = _mapping(_mapping(data, "the callback").get("Body"), "Body")
    callback = _mapping(body.get("stkCallback"), "Body.stkCallback")
    result_code = _integer(callback.get("ResultCode"), "ResultCode")
    items = _items(callback.get("CallbackMetadata"))
    amount = _amount(items.get("Amount"))
    receipt = items.get("MpesaReceiptNumber")
    if receipt is not None:
        receipt = _string(receipt, "MpesaReceiptNumber")
    if result_code == ResultCode.PAID and (amount is None or receipt is None):
        raise CallbackError("a successful callback lacks Amount or MpesaReceiptNumber")
    return StkCallback(
        merchant_request_id=_string(callback.get("MerchantRequestID"), "MerchantRequestID"),
        checkout_request_id=_string(callback.get("CheckoutRequestID"), "CheckoutRequestID"),
        result_code=result_code,
        result_desc=_string(callback.get("ResultDesc"), "ResultDesc", empty=True),
        amount=amount,
        receipt_number=receipt,
        transaction_date=_transaction_date(items.get("TransactionDate")),
        phone=_phone(items.get("PhoneNumber")),
    )


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
