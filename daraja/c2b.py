"""C2B: the validation and confirmation bodies Daraja POSTs when a customer pays the paybill or
till from their phone, and the answers Daraja expects back.

A confirmation looks like::

    {"TransactionType": "Pay Bill", "TransID": "RKTQDM7W6S", "TransTime": "20191122063845",
     "TransAmount": "10.00", "BusinessShortCode": "600638", "BillRefNumber": "invoice008",
     "InvoiceNumber": "", "OrgAccountBalance": "", "ThirdPartyTransID": "",
     "MSISDN": "2547****149", "FirstName": "John", "MiddleName": "", "LastName": ""}

A validation request has the same shape (the money has not moved yet). ``MSISDN`` may be a
full number, masked, or a SHA-256 hex digest: it is kept as given. ``BillRefNumber`` is what
the customer typed (case, spaces, typos): kept as given too; matching is the caller's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from daraja.callback import MAX_RECEIPT_LENGTH, load_callback
from daraja.errors import CallbackError
from daraja.fields import mapping, nairobi_time, optional_text, required_id, whole_shillings

MAX_TYPE_LENGTH = 64
MAX_SHORTCODE_LENGTH = 16
MAX_REFERENCE_LENGTH = 128  # BillRefNumber, InvoiceNumber, ThirdPartyTransID: typed by people
MAX_MSISDN_LENGTH = 128  # full, masked or a 64-character digest
MAX_NAME_LENGTH = 128
MAX_BALANCE_LENGTH = 64

# The answers Daraja expects: validation takes ResultCode as text, confirmation as a number.
C2B_ACCEPT: Final[Mapping[str, str]] = {"ResultCode": "0", "ResultDesc": "Accepted"}
C2B_CONFIRMED: Final[Mapping[str, str | int]] = {"ResultCode": 0, "ResultDesc": "Success"}


class C2BRejectCode(StrEnum):
    """The codes a validation answer may reject a payment with."""

    INVALID_MSISDN = "C2B00011"
    INVALID_ACCOUNT = "C2B00012"
    INVALID_AMOUNT = "C2B00013"
    OTHER = "C2B00016"


def c2b_reject(code: str, desc: str) -> dict[str, str]:
    """The validation answer that rejects a payment with ``code`` (a C2BRejectCode)."""
    return {"ResultCode": str(code), "ResultDesc": desc}


@dataclass(frozen=True, slots=True)
class C2BNotice:
    """A C2B validation or confirmation body, parsed; ``amount`` is whole shillings."""

    transaction_id: str
    transaction_type: str | None
    transaction_time: datetime | None  # aware, Nairobi time
    amount: int
    shortcode: str | None
    bill_ref: str | None
    invoice_number: str | None
    msisdn: str | None  # as given: full, masked or hashed
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    org_balance: str | None
    third_party_id: str | None

    @property
    def payer_name(self) -> str | None:
        """The payer's names as M-Pesa gives them, joined by spaces; None when there are none."""
        names = [
            name.strip()
            for name in (self.first_name, self.middle_name, self.last_name)
            if name and name.strip()
        ]
        return " ".join(names) or None


def _parse(data: Any) -> C2BNotice:
    body = mapping(data, "the C2B body")
    return C2BNotice(
        transaction_id=required_id(body.get("TransID"), "TransID", max_length=MAX_RECEIPT_LENGTH),
        transaction_type=optional_text(
            body.get("TransactionType"), "TransactionType", max_length=MAX_TYPE_LENGTH
        ),
        transaction_time=nairobi_time(body.get("TransTime"), "TransTime"),
        amount=whole_shillings(body.get("TransAmount"), "TransAmount"),
        shortcode=optional_text(
            body.get("BusinessShortCode"), "BusinessShortCode", max_length=MAX_SHORTCODE_LENGTH
        ),
        bill_ref=optional_text(
            body.get("BillRefNumber"), "BillRefNumber", max_length=MAX_REFERENCE_LENGTH
        ),
        invoice_number=optional_text(
            body.get("InvoiceNumber"), "InvoiceNumber", max_length=MAX_REFERENCE_LENGTH
        ),
        msisdn=optional_text(body.get("MSISDN"), "MSISDN", max_length=MAX_MSISDN_LENGTH),
        first_name=optional_text(body.get("FirstName"), "FirstName", max_length=MAX_NAME_LENGTH),
        middle_name=optional_text(body.get("MiddleName"), "MiddleName", max_length=MAX_NAME_LENGTH),
        last_name=optional_text(body.get("LastName"), "LastName", max_length=MAX_NAME_LENGTH),
        org_balance=_balance(body.get("OrgAccountBalance")),
        third_party_id=optional_text(
            body.get("ThirdPartyTransID"), "ThirdPartyTransID", max_length=MAX_REFERENCE_LENGTH
        ),
    )


def _balance(value: Any) -> str | None:
    # The balance is information only: kept as text, whichever way it was sent.
    if isinstance(value, float) and not isinstance(value, bool):
        value = repr(value)
    return optional_text(value, "OrgAccountBalance", max_length=MAX_BALANCE_LENGTH)


def parse_c2b(body: bytes | str | Mapping[str, Any]) -> C2BNotice:
    """Return the C2B notice in ``body``; raise CallbackError, and nothing else, if malformed.

    ``TransID`` and a whole ``TransAmount`` of at least 1 are required; every other field may be
    absent or empty (None). Over-long fields are refused, never truncated.
    """
    try:
        return _parse(load_callback(body))
    except CallbackError:
        raise
    except Exception as exc:
        # The body comes from the internet: a hostile mapping is a malformed body, not a crash.
        raise CallbackError(f"malformed C2B body ({type(exc).__name__})") from exc
