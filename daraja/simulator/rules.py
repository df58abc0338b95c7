"""Daraja's rules for STK push and query requests, as the simulator enforces them.

Written apart from the client's own checks on purpose: a mistake shared by both would hide.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from daraja.error_codes import ErrorCode
from daraja.signing import NAIROBI
from daraja.simulator.settings import SimulatorSettings

PAYBILL = "CustomerPayBillOnline"
BUY_GOODS = "CustomerBuyGoodsOnline"
_MSISDN = re.compile(r"254[17]\d{8}")
_TIMESTAMP = re.compile(r"\d{14}")
_DIGITS = re.compile(r"\d+")


class Rejection(Exception):
    """A request Daraja refuses: the HTTP status, ``errorCode`` and ``errorMessage`` to send."""

    def __init__(self, status: int, error_code: str, error_message: str) -> None:
        super().__init__(f"{status} {error_code} {error_message}")
        self.status = status
        self.error_code = error_code
        self.error_message = error_message


def invalid(field: str) -> Rejection:
    """Return the refusal of a bad field: ``400.002.02 Bad Request - Invalid <field>``."""
    return Rejection(400, ErrorCode.BAD_REQUEST, f"Bad Request - Invalid {field}")


WRONG_CREDENTIALS = Rejection(500, ErrorCode.PROCESSING_OR_LOCKED, "Wrong credentials")


@dataclass(frozen=True, slots=True)
class PushRequest:
    """A push that passed every rule."""

    shortcode: str
    transaction_type: str
    amount: int
    party_a: str
    party_b: str
    phone: str
    callback_url: str
    reference: str
    description: str


def _digits(body: dict[str, Any], field: str) -> str:
    # Daraja takes numeric fields as JSON numbers or as strings of digits.
    value = body.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise invalid(field)
    return value


def _text(body: dict[str, Any], field: str, max_length: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise invalid(field)
    return value


def _msisdn(body: dict[str, Any], field: str) -> str:
    value = _digits(body, field)
    if not _MSISDN.fullmatch(value):
        raise invalid(field)
    return value


def _amount(body: dict[str, Any]) -> int:
    value = body.get("Amount")
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 250_000:
        raise invalid("Amount")
    return value


def _callback_url(body: dict[str, Any]) -> str:
    value = body.get("CallBackURL")
    if not isinstance(value, str):
        raise invalid("CallBackURL")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise invalid("CallBackURL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("CallBackURL")
    return value


def expected_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """Return the ``Password`` Daraja expects: ``base64(shortcode + passkey + timestamp)``."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


def check_signature(body: Any, settings: SimulatorSettings, now: datetime) -> str:
    """Return the request's shortcode once BusinessShortCode, Timestamp and Password hold."""
    if not isinstance(body, dict):
        raise invalid("Request")
    shortcode = _digits(body, "BusinessShortCode")
    passkey = settings.passkeys.get(shortcode)
    if passkey is None:
        raise invalid("BusinessShortCode")
    timestamp = body.get("Timestamp")
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        raise invalid("Timestamp")
    try:
        stamped = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    except ValueError:
        raise invalid("Timestamp") from None
    # A Timestamp in the host's zone or in UTC is hours away from Nairobi's clock.
    if abs(stamped - now) > timedelta(seconds=settings.timestamp_tolerance):
        raise invalid("Timestamp")
    password = body.get("Password")
    if not isinstance(password, str) or not hmac.compare_digest(
        password.encode(), expected_password(shortcode, passkey, timestamp).encode()
    ):
        raise WRONG_CREDENTIALS
    return shortcode


def read_push(body: Any, settings: SimulatorSettings, now: datetime) -> PushRequest:
    """Return the push in ``body`` or raise the Rejection Daraja would answer with."""
    shortcode = check_signature(body, settings, now)
    transaction_type = body.get("TransactionType")
    if transaction_type not in (PAYBILL, BUY_GOODS):
        raise invalid("TransactionType")
    amount = _amount(body)
    party_a = _msisdn(body, "PartyA")
    party_b = _digits(body, "PartyB")
    if transaction_type == PAYBILL and party_b != shortcode:
        raise invalid("PartyB")
    if transaction_type == BUY_GOODS and settings.tills.get(party_b) != shortcode:
        raise invalid("PartyB")
    phone = _msisdn(body, "PhoneNumber")
    callback_url = _callback_url(body)
    reference = _text(body, "AccountReference", 12)
    description = _text(body, "TransactionDesc", 13)
    return PushRequest(
        shortcode=shortcode,
        transaction_type=transaction_type,
        amount=amount,
        party_a=party_a,
        party_b=party_b,
        phone=phone,
        callback_url=callback_url,
        reference=reference,
        description=description,
    )


def read_query(body: Any, settings: SimulatorSettings, now: datetime) -> tuple[str, str]:
    """Return the query's shortcode and CheckoutRequestID, or raise the Rejection."""
    shortcode = check_signature(body, settings, now)
    checkout_id = body.get("CheckoutRequestID")
    if not isinstance(checkout_id, str) or not checkout_id:
        raise invalid("CheckoutRequestID")
    return shortcode, checkout_id
