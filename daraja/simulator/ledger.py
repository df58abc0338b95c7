"""The simulated shortcode's ledger: every transaction, with realistic receipts, and the SMS
each phone received.

Every STK success and every C2B payment is a ``LedgerTransaction``; so are reversals and B2C
payments. Transaction Status, Reversal and Pull read it. A receipt looks like a real one: ten
letters and digits, the first three encoding year, month and day (``NLJ7RT61SV`` is from
19 December 2019).
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from daraja.signing import NAIROBI
from daraja.simulator.settings import MsisdnForm

_ALPHABET = string.ascii_uppercase + string.digits
_DAYS = "123456789" + string.ascii_uppercase  # day 1 is "1", day 10 is "A", day 31 is "V"


class Kind(StrEnum):
    """How money moved."""

    STK = "stk"  # M-Pesa Express, into the shortcode
    C2B = "c2b"  # paid from the phone's menu, into the shortcode
    REVERSAL = "reversal"  # back to the payer of an earlier transaction
    B2C = "b2c"  # from a B2C shortcode to a phone


@dataclass(slots=True)
class LedgerTransaction:
    """One transaction; ``status`` becomes "Reversed" when it is reversed."""

    transaction_id: str
    kind: Kind
    time: datetime
    shortcode: str  # the shortcode (or till) money went into or came from
    phone: str  # 2547XXXXXXXX
    amount: int
    bill_ref: str | None = None
    first_name: str = "JOHN"
    last_name: str = "DOE"
    status: str = "Completed"
    reverses: str | None = None  # for a reversal: the transaction it reversed
    reversed_by: str | None = None

    @property
    def payer_name(self) -> str:
        """The name M-Pesa shows for the phone's owner."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class PhoneMessage:
    """An SMS a simulated phone received."""

    time: datetime
    text: str


def receipt_number(rng: random.Random, moment: datetime) -> str:
    """A receipt for a transaction at ``moment``: year, month and day letters, then seven more."""
    local = moment.astimezone(NAIROBI)
    year = string.ascii_uppercase[(local.year - 2006) % 26]
    month = string.ascii_uppercase[local.month - 1]
    return year + month + _DAYS[local.day - 1] + "".join(rng.choices(_ALPHABET, k=7))


def shown_msisdn(phone: str, form: MsisdnForm) -> str:
    """``phone`` as Daraja shows it: full, masked (``2547****149``) or SHA-256 hex."""
    if form is MsisdnForm.FULL:
        return phone
    if form is MsisdnForm.HASHED:
        return hashlib.sha256(phone.encode("ascii")).hexdigest()
    return f"{phone[:4]}****{phone[-3:]}"


def names_for(phone: str) -> tuple[str, str]:
    """A stable made-up name for the owner of ``phone`` (M-Pesa's registered name)."""
    firsts = ("JOHN", "MARY", "PETER", "GRACE", "JAMES", "FAITH", "DAVID", "AMINA")
    lasts = ("DOE", "WANJIKU", "OTIENO", "MWANGI", "KIPROTICH", "ACHIENG", "HASSAN", "NJERI")
    digits = int(phone[-4:]) if phone[-4:].isdigit() else 0
    return firsts[digits % len(firsts)], lasts[(digits // len(firsts)) % len(lasts)]


def _when(moment: datetime) -> str:
    local = moment.astimezone(NAIROBI)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day}/{local.month}/{local.strftime('%y')} at {hour}:{local.strftime('%M %p')}"


class Ledger:
    """Every transaction of the simulated M-Pesa, and every phone's SMS inbox."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._transactions: dict[str, LedgerTransaction] = {}
        self._messages: dict[str, list[PhoneMessage]] = {}

    def new_receipt(self, moment: datetime) -> str:
        """A receipt number not used before."""
        while True:
            receipt = receipt_number(self._rng, moment)
            if receipt not in self._transactions:
                return receipt

    def add(self, transaction: LedgerTransaction) -> LedgerTransaction:
        """Record ``transaction`` (its id must be new)."""
        if transaction.transaction_id in self._transactions:
            raise ValueError(f"transaction {transaction.transaction_id} is already recorded")
        self._transactions[transaction.transaction_id] = transaction
        return transaction

    def get(self, transaction_id: str) -> LedgerTransaction | None:
        """The transaction with that id (case as M-Pesa writes it: upper), if any."""
        return self._transactions.get(transaction_id.upper())

    def all(self) -> list[LedgerTransaction]:
        """Every transaction, oldest first."""
        return sorted(self._transactions.values(), key=lambda t: (t.time, t.transaction_id))

    def received_by(
        self, shortcodes: frozenset[str], start: datetime, end: datetime
    ) -> list[LedgerTransaction]:
        """Money paid into ``shortcodes`` (STK and C2B) from ``start`` to ``end``, oldest first."""
        return [
            transaction
            for transaction in self.all()
            if transaction.kind in (Kind.STK, Kind.C2B)
            and transaction.shortcode in shortcodes
            and start <= transaction.time <= end
        ]

    def record_stk(
        self,
        receipt: str,
        moment: datetime,
        *,
        shortcode: str,
        phone: str,
        amount: int,
        reference: str,
        organisation: str,
    ) -> LedgerTransaction:
        """Record a paid STK push and send the payer the confirmation SMS."""
        first, last = names_for(phone)
        transaction = self.add(
            LedgerTransaction(
                transaction_id=receipt,
                kind=Kind.STK,
                time=moment,
                shortcode=shortcode,
                phone=phone,
                amount=amount,
                bill_ref=reference,
                first_name=first,
                last_name=last,
            )
        )
        self.confirm_payment(transaction, organisation)
        return transaction

    def text(self, phone: str, moment: datetime, text: str) -> None:
        """Deliver an SMS to ``phone``."""
        self._messages.setdefault(phone, []).append(PhoneMessage(moment, text))

    def messages(self, phone: str) -> list[PhoneMessage]:
        """The SMS ``phone`` received, oldest first."""
        return list(self._messages.get(phone, []))

    def confirm_payment(self, transaction: LedgerTransaction, organisation: str) -> None:
        """Send the payer the confirmation SMS M-Pesa sends after a payment."""
        account = f" for account {transaction.bill_ref}" if transaction.bill_ref else ""
        self.text(
            transaction.phone,
            transaction.time,
            f"{transaction.transaction_id} Confirmed. Ksh{transaction.amount:,}.00 sent to "
            f"{organisation}{account} on {_when(transaction.time)}. Transaction cost, Ksh0.00.",
        )

    def confirm_received(self, transaction: LedgerTransaction, organisation: str) -> None:
        """Send the phone the SMS of money it received (a reversal or a B2C payment)."""
        if transaction.kind is Kind.REVERSAL:
            text = (
                f"{transaction.transaction_id} Confirmed. Transaction {transaction.reverses} has "
                f"been reversed. Ksh{transaction.amount:,}.00 from {organisation} is credited to "
                f"your M-PESA account on {_when(transaction.time)}."
            )
        else:
            text = (
                f"{transaction.transaction_id} Confirmed. You have received "
                f"Ksh{transaction.amount:,}.00 from {organisation} on {_when(transaction.time)}."
            )
        self.text(transaction.phone, transaction.time, text)
