"""Daraja's answers and callbacks, parsed at the edge into frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daraja.result_codes import ResultCode


@dataclass(frozen=True, slots=True)
class StkPushAccepted:
    """Daraja accepted the push and is prompting the customer; the outcome comes later."""

    merchant_request_id: str
    checkout_request_id: str
    response_code: str
    response_description: str
    customer_message: str


@dataclass(frozen=True, slots=True)
class StkQueryResult:
    """The final outcome of a push, as told by STK Push Query."""

    merchant_request_id: str | None
    checkout_request_id: str
    result_code: int
    result_desc: str

    @property
    def paid(self) -> bool:
        """True when the customer paid (result code 0)."""
        return self.result_code == ResultCode.PAID

    @property
    def known_code(self) -> ResultCode | None:
        """Return the named result code, or None for a code this package does not list."""
        return ResultCode.known(self.result_code)


@dataclass(frozen=True, slots=True)
class StkQueryPending:
    """The prompt is still open (``500.001.1001`` or ResultCode ``4999``): ask again later."""

    checkout_request_id: str


StkQueryOutcome = StkQueryResult | StkQueryPending


@dataclass(frozen=True, slots=True)
class StkCallback:
    """A parsed STK Push callback; amount, receipt, date and phone are present on success.

    ``phone`` may be masked by Safaricom: never use it as a key. A ResultCode that is not a
    number (``SFC_IC0003``: the shortcode's setup is wrong) is a failure: ``result_code`` is
    None and ``result_code_text`` holds the code as sent.
    """

    merchant_request_id: str
    checkout_request_id: str
    result_code: int | None
    result_desc: str
    amount: int | None
    receipt_number: str | None
    transaction_date: datetime | None
    phone: str | None
    result_code_text: str | None = None

    @property
    def paid(self) -> bool:
        """True when the customer paid (result code 0)."""
        return self.result_code == ResultCode.PAID

    @property
    def known_code(self) -> ResultCode | None:
        """Return the named result code, or None for a code this package does not list."""
        return None if self.result_code is None else ResultCode.known(self.result_code)


@dataclass(frozen=True, slots=True)
class InitiatorAccepted:
    """Daraja queued an initiator request (Transaction Status, Reversal, B2C); the result is
    POSTed later to the ResultURL, matched by either conversation id."""

    originator_conversation_id: str
    conversation_id: str
    response_code: str
    response_description: str


@dataclass(frozen=True, slots=True)
class PullEntry:
    """One transaction of the shortcode's statement, from Pull Transactions.

    ``msisdn`` is as Daraja gives it (it may be masked or hashed); ``time`` is Nairobi time.
    """

    transaction_id: str
    time: datetime | None
    msisdn: str | None
    sender: str | None
    transaction_type: str | None
    bill_reference: str | None
    amount: int
    organization_name: str | None
