"""Pull Transactions in the simulator: registration, and the statement of the last 48 hours
of the ledger, a page at a time.

Only money paid into the shortcode (and its tills) is listed: STK and C2B payments, STK ones
with their AccountReference as ``billreference``. ``msisdn`` is shown as
``c2b_msisdn_form`` says. A window reaching further back than ``pull_window_hours`` lists
only what is within it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from daraja.signing import NAIROBI
from daraja.simulator.c2b import callback_url, digits, msisdn
from daraja.simulator.ledger import Ledger, LedgerTransaction, shown_msisdn
from daraja.simulator.rules import invalid
from daraja.simulator.settings import SimulatorSettings

_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _time(body: dict[str, Any], field: str) -> datetime:
    value = body.get(field)
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise invalid(field)
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=NAIROBI)
    except ValueError:
        raise invalid(field) from None


class PullSimulator:
    """Registered shortcodes and their statement."""

    def __init__(
        self,
        settings: SimulatorSettings,
        ledger: Ledger,
        *,
        now: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self.settings = settings
        self.registrations: dict[str, tuple[str, str]] = {}  # shortcode → (number, URL)
        self.page_size = settings.pull_page_size
        self._ledger = ledger
        self._now = now
        self._rng = rng

    def _ref(self) -> str:
        return f"{self._rng.randint(1000, 99999)}-{self._rng.randint(10**6, 10**8)}-1"

    def register(self, body: Any) -> dict[str, Any]:
        """Register a shortcode for Pull (again: "already registered", still fine)."""
        if not isinstance(body, dict):
            raise invalid("Request")
        shortcode = digits(body, "ShortCode")
        if shortcode not in self.settings.passkeys and shortcode not in self.settings.tills:
            raise invalid("ShortCode")
        if body.get("RequestType") != "Pull":
            raise invalid("RequestType")
        number = msisdn(body.get("NominatedNumber"), "NominatedNumber")
        url = callback_url(body.get("CallBackURL"), "CallBackURL")
        again = shortcode in self.registrations
        self.registrations[shortcode] = (number, url)
        return {
            "ResponseRefID": self._ref(),
            "ResponseStatus": "1001" if again else "1000",
            "ShortCode": shortcode,
            "ResponseDescription": "ShortCode already Registered"
            if again
            else "Shortcode Registered Successfully",
        }

    def query(self, body: Any) -> dict[str, Any]:
        """One page of the statement from StartDate to EndDate at OffSetValue."""
        if not isinstance(body, dict):
            raise invalid("Request")
        shortcode = digits(body, "ShortCode")
        start, end = _time(body, "StartDate"), _time(body, "EndDate")
        if start > end:
            raise invalid("StartDate")
        offset = int(digits(body, "OffSetValue"))
        if shortcode not in self.registrations:
            return {
                "ResponseRefID": self._ref(),
                "ResponseCode": "1002",
                "ResponseMessage": "ShortCode not registered for Pull",
            }
        earliest = self._now() - timedelta(hours=self.settings.pull_window_hours)
        owned = {shortcode} | {t for t, store in self.settings.tills.items() if store == shortcode}
        rows = self._ledger.received_by(frozenset(owned), max(start, earliest), end)
        page = rows[offset : offset + self.page_size]
        return {
            "ResponseRefID": self._ref(),
            "ResponseCode": "1000",
            "ResponseMessage": "Success",
            "Response": [[self._row(transaction) for transaction in page]],
        }

    def _row(self, transaction: LedgerTransaction) -> dict[str, Any]:
        till = transaction.shortcode in self.settings.tills
        kind = "c2b-buy-goods-debit" if till else "c2b-pay-bill-debit"
        return {
            "transactionId": transaction.transaction_id,
            "trxDate": transaction.time.astimezone(NAIROBI).isoformat(timespec="milliseconds"),
            "msisdn": shown_msisdn(transaction.phone, self.settings.c2b_msisdn_form),
            "sender": transaction.payer_name,
            "transactiontype": kind,
            "billreference": transaction.bill_ref or "",
            "amount": float(transaction.amount),
            "organizationname": self.settings.organisation_name,
        }
