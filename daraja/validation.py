"""Daraja's rules for request fields, checked before anything is sent; nothing is truncated."""

from __future__ import annotations

import re

import httpx

from daraja.errors import DarajaValidationError
from daraja.url_rules import refused_words

MIN_AMOUNT = 1
MAX_AMOUNT = 250_000
MAX_REFERENCE_LENGTH = 12  # AccountReference, shown to the customer on the prompt
MAX_DESCRIPTION_LENGTH = 13  # TransactionDesc
_SHORTCODE = re.compile(r"\d{5,12}")
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9]{8,32}")


def check_amount(amount: int) -> int:
    """Return ``amount`` if it is a whole int of shillings from 1 to 250,000, else raise."""
    # bool is an int subclass: True would silently become a 1-shilling payment.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise DarajaValidationError("Amount", "must be an int of whole shillings")
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise DarajaValidationError("Amount", f"must be from {MIN_AMOUNT} to {MAX_AMOUNT:,}")
    return amount


def _check_text(field: str, value: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise DarajaValidationError(field, "must be a string")
    if not 1 <= len(value) <= max_length:
        raise DarajaValidationError(
            field, f"must be 1 to {max_length} characters, got {len(value)}"
        )
    return value


def check_reference(reference: str) -> str:
    """Return ``reference`` if it is 1 to 12 characters long (AccountReference), else raise."""
    return _check_text("AccountReference", reference, MAX_REFERENCE_LENGTH)


def check_description(description: str) -> str:
    """Return ``description`` if it is 1 to 13 characters long (TransactionDesc), else raise."""
    return _check_text("TransactionDesc", description, MAX_DESCRIPTION_LENGTH)


def check_callback_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL, else raise."""
    rule = "must be an absolute http(s) URL"
    if not isinstance(url, str):
        raise DarajaValidationError("CallBackURL", rule)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise DarajaValidationError("CallBackURL", rule) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DarajaValidationError("CallBackURL", rule)
    return url


def check_url(field: str, url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL Daraja would call, else raise.

    Daraja refuses (or never calls) URLs with M-Pesa, Safaricom, exe, cmd, sql or query in them;
    they are refused here, by name, before the request is sent.
    """
    try:
        check_callback_url(url)
    except DarajaValidationError:
        raise DarajaValidationError(field, "must be an absolute http(s) URL") from None
    words = refused_words(url)
    if words:
        raise DarajaValidationError(
            field, "contains " + ", ".join(repr(word) for word in words) + ", which Daraja refuses"
        )
    return url


def check_text(field: str, value: str, *, min_length: int = 1, max_length: int = 100) -> str:
    """Return ``value`` if it is a string of ``min_length`` to ``max_length`` characters."""
    if not isinstance(value, str):
        raise DarajaValidationError(field, "must be a string")
    if not min_length <= len(value) <= max_length:
        raise DarajaValidationError(
            field, f"must be {min_length} to {max_length} characters, got {len(value)}"
        )
    return value


def check_shortcode(field: str, value: str) -> str:
    """Return ``value`` if it is a shortcode (5 to 12 digits), else raise."""
    if not isinstance(value, str) or not _SHORTCODE.fullmatch(value):
        raise DarajaValidationError(field, "must be a shortcode of 5 to 12 digits")
    return value


def check_transaction_id(value: str) -> str:
    """Return ``value`` if it looks like an M-Pesa transaction id (letters and digits)."""
    if not isinstance(value, str) or not _TRANSACTION_ID.fullmatch(value):
        raise DarajaValidationError("TransactionID", "must be 8 to 32 letters and digits")
    return value
