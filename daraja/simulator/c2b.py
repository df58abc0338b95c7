"""C2B in the simulator: URL registration, the sandbox's ``/mpesa/c2b/v1/simulate``, and the
control ``POST /simulator/c2b/pay`` that pays a paybill or till with any account number.

A payment calls the registered validation URL first (when ``c2b_validation`` is on); a
rejection stops it, no answer within ``validation_timeout`` means the registered
ResponseType. Then it is written to the ledger, the payer gets the SMS, and the confirmation
URL is POSTed after ``callback_delay`` (``callback_copies`` times: 0 loses it, 2 repeats it).
"""

from __future__ import annotations

import itertools
import logging
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from daraja.signing import NAIROBI
from daraja.simulator.delivery import Courier
from daraja.simulator.ledger import Kind, Ledger, LedgerTransaction, names_for, shown_msisdn
from daraja.simulator.rules import Rejection, invalid
from daraja.simulator.settings import SimulatorSettings

# Daraja refuses these in a URL (written apart from the client's copy on purpose).
REFUSED_IN_URLS = re.compile(r"m[\W_]*pesa|safaricom|exe|cmd|sql|query", re.IGNORECASE)
_MSISDN = re.compile(r"254[17]\d{8}")
_LOCAL = re.compile(r"0[17]\d{8}")
_DIGITS = re.compile(r"\d+")
_AMOUNT = re.compile(r"\d{1,6}(?:\.0{1,2})?")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Registration:
    """The URLs a shortcode registered for C2B."""

    confirmation_url: str
    validation_url: str
    response_type: str  # "Completed" or "Cancelled": what a silent validation means


@dataclass(frozen=True, slots=True)
class C2BOutcome:
    """What became of a C2B payment."""

    status: str  # "completed", "rejected" (by validation), "cancelled" (silent + Cancelled)
    transaction: LedgerTransaction | None
    result_code: str | None = None  # the validation's ResultCode when it rejected
    result_desc: str | None = None


def msisdn(value: Any, field: str = "Msisdn") -> str:
    """A Kenyan mobile number (2547..., 07..., as text or a number) as ``2547XXXXXXXX``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text: str = value.replace(" ", "").removeprefix("+")
        if _LOCAL.fullmatch(text):
            text = "254" + text[1:]
        if _MSISDN.fullmatch(text):
            return text
    raise invalid(field)


def callback_url(value: Any, field: str) -> str:
    """An http(s) URL without the words Daraja refuses."""
    if not isinstance(value, str) or REFUSED_IN_URLS.search(value):
        raise invalid(field)
    try:
        parts = urlsplit(value)
    except ValueError:
        raise invalid(field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(field)
    return value


def whole_amount(value: Any, *, maximum: int = 250_000) -> int:
    """Amount as Daraja takes it (a number or digits), whole shillings from 1 to ``maximum``."""
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        value = int(float(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise invalid("Amount")
    return value


def digits(body: Mapping[str, Any], field: str) -> str:
    """A numeric field sent as a number or as digits."""
    value = body.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise invalid(field)
    return value


class C2BSimulator:
    """Registered URLs per shortcode, and payments made to them."""

    def __init__(
        self,
        settings: SimulatorSettings,
        ledger: Ledger,
        courier: Courier,
        *,
        now: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self.settings = settings
        self.validation = settings.c2b_validation
        self.msisdn_form = settings.c2b_msisdn_form
        self.callback_delay = settings.callback_delay
        self.callback_copies = settings.callback_copies
        self.registrations: dict[str, Registration] = {}
        self._ledger = ledger
        self._courier = courier
        self._now = now
        self._rng = rng
        self._sequence = itertools.count(1)

    def _conversation_id(self) -> str:
        return f"{self._rng.randint(1000, 99999)}-{next(self._sequence)}-1"

    def owner(self, shortcode: str) -> str | None:
        """The paybill/store number ``shortcode`` pays into (itself, or a till's store)."""
        if shortcode in self.settings.passkeys:
            return shortcode
        return self.settings.tills.get(shortcode)

    def register(self, body: Any) -> dict[str, Any]:
        """Register a shortcode's URLs (C2B v2), or raise the Rejection Daraja answers with."""
        if not isinstance(body, dict):
            raise invalid("Request")
        shortcode = digits(body, "ShortCode")
        if self.owner(shortcode) is None:
            raise invalid("ShortCode")
        response_type = body.get("ResponseType")
        if response_type not in ("Completed", "Cancelled"):
            raise invalid("ResponseType")
        self.registrations[shortcode] = Registration(
            confirmation_url=callback_url(body.get("ConfirmationURL"), "ConfirmationURL"),
            validation_url=callback_url(body.get("ValidationURL"), "ValidationURL"),
            response_type=response_type,
        )
        logger.info("simulator registered C2B URLs for %s", shortcode)
        return {
            "OriginatorCoversationID": self._conversation_id(),  # Daraja's spelling
            "ResponseCode": "0",
            "ResponseDescription": "Success",
        }

    def simulate(self, body: Any) -> dict[str, Any]:
        """The sandbox's simulate: check the request, pay in the background, answer at once."""
        if not isinstance(body, dict):
            raise invalid("Request")
        shortcode = digits(body, "ShortCode")
        if self.owner(shortcode) is None:
            raise invalid("ShortCode")
        command = body.get("CommandID")
        is_till = shortcode in self.settings.tills
        expected = "CustomerBuyGoodsOnline" if is_till else "CustomerPayBillOnline"
        if command != expected:
            raise invalid("CommandID")
        amount = whole_amount(body.get("Amount"))
        phone = msisdn(body.get("Msisdn"))
        bill_ref = body.get("BillRefNumber")
        if bill_ref is None and is_till:
            bill_ref = ""
        if not isinstance(bill_ref, str) or len(bill_ref) > 64 or (not bill_ref and not is_till):
            raise invalid("BillRefNumber")
        self._courier.spawn(self._pay_logged(phone, amount, bill_ref, shortcode))
        return {
            "OriginatorCoversationID": self._conversation_id(),
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    async def _pay_logged(self, phone: str, amount: int, bill_ref: str, shortcode: str) -> None:
        try:
            await self.pay(phone=phone, amount=amount, account=bill_ref, shortcode=shortcode)
        except Exception:
            logger.exception("simulator failed a simulated C2B payment")

    def _body(self, transaction: LedgerTransaction, *, validation: bool) -> dict[str, Any]:
        is_till = transaction.shortcode in self.settings.tills
        return {
            "TransactionType": "Buy Goods" if is_till else "Pay Bill",
            "TransID": transaction.transaction_id,
            "TransTime": transaction.time.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"),
            "TransAmount": f"{transaction.amount}.00",
            "BusinessShortCode": transaction.shortcode,
            "BillRefNumber": transaction.bill_ref or "",
            "InvoiceNumber": "",
            "OrgAccountBalance": "" if validation else f"{self._balance(transaction)}.00",
            "ThirdPartyTransID": "",
            "MSISDN": shown_msisdn(transaction.phone, self.msisdn_form),
            "FirstName": transaction.first_name,
            "MiddleName": "",
            "LastName": transaction.last_name,
        }

    def _balance(self, transaction: LedgerTransaction) -> int:
        return sum(
            entry.amount
            for entry in self._ledger.all()
            if entry.shortcode == transaction.shortcode and entry.kind in (Kind.STK, Kind.C2B)
        )

    async def pay(
        self, *, phone: str, amount: int, account: str, shortcode: str | None = None
    ) -> C2BOutcome:
        """A customer pays ``shortcode`` (default: the first paybill) with account ``account``."""
        code = shortcode or next(iter(self.settings.passkeys))
        if self.owner(code) is None:
            raise Rejection(400, "400.002.02", "Bad Request - Invalid ShortCode")
        moment = self._now()
        first, last = names_for(phone)
        transaction = LedgerTransaction(
            transaction_id=self._ledger.new_receipt(moment),
            kind=Kind.C2B,
            time=moment,
            shortcode=code,
            phone=phone,
            amount=amount,
            bill_ref=account or None,
            first_name=first,
            last_name=last,
        )
        registration = self.registrations.get(code)
        if registration is not None and self.validation:
            refused = await self._validate(registration, transaction)
            if refused is not None:
                return refused
        self._ledger.add(transaction)
        self._ledger.confirm_payment(transaction, self.settings.organisation_name)
        if registration is not None:
            body = self._body(transaction, validation=False)
            for _ in range(self.callback_copies):
                self._courier.spawn(
                    self._courier.later(
                        self.callback_delay,
                        self._courier.post(
                            "c2b_confirmation",
                            registration.confirmation_url,
                            body,
                            seconds=self.settings.callback_timeout,
                        ),
                    )
                )
        return C2BOutcome("completed", transaction)

    async def _validate(
        self, registration: Registration, transaction: LedgerTransaction
    ) -> C2BOutcome | None:
        notice = await self._courier.post(
            "c2b_validation",
            registration.validation_url,
            self._body(transaction, validation=True),
            seconds=self.settings.validation_timeout,
        )
        answer = notice.answer if isinstance(notice.answer, dict) else None
        if not notice.delivered or answer is None or "ResultCode" not in answer:
            # No usable answer in time: Daraja does what ResponseType says.
            if registration.response_type == "Cancelled":
                return C2BOutcome("cancelled", None)
            return None
        code = str(answer.get("ResultCode"))
        if code == "0":
            return None
        desc = answer.get("ResultDesc")
        self._ledger.text(
            transaction.phone,
            transaction.time,
            f"Failed. Your payment of Ksh{transaction.amount:,}.00 to "
            f"{self.settings.organisation_name} was declined.",
        )
        return C2BOutcome("rejected", None, code, desc if isinstance(desc, str) else None)
