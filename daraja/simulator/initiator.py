"""Transaction Status, Reversal and B2C in the simulator, with Daraja's checks and its
asynchronous Results.

A request with a missing or malformed field is refused at once (``400.002.02``). A wrong
initiator name or a SecurityCredential that does not decrypt, with the simulator's key, to the
configured password is accepted and then answered with Result 2001 "The initiator information
is invalid.", as Daraja does. Otherwise the Result is POSTed to ResultURL after
``result_delay``; with ``results_time_out`` (or a queued :meth:`time_out_next`) a queue timeout
goes to QueueTimeOutURL instead and nothing happens. ``result_copies`` (1) set to 0 carries the
request out but loses its Result; 2 delivers it twice.

The simulator's result codes: 0 done; 1 insufficient B2C float; 2001 initiator invalid;
R000001 already reversed; R000002 no such transaction for this shortcode; R000003 a reversal
amount other than the transaction's.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from daraja.signing import NAIROBI
from daraja.simulator.c2b import callback_url, digits, msisdn, whole_amount
from daraja.simulator.delivery import Courier
from daraja.simulator.keys import simulator_keys
from daraja.simulator.ledger import Kind, Ledger, LedgerTransaction, names_for, shown_msisdn
from daraja.simulator.rules import Rejection, invalid
from daraja.simulator.settings import MsisdnForm, SimulatorSettings

DONE = (0, "The service request is processed successfully.")
INSUFFICIENT_FLOAT = (1, "The balance is insufficient for the transaction.")
INITIATOR_INVALID = (2001, "The initiator information is invalid.")
ALREADY_REVERSED = ("R000001", "The transaction has already been reversed.")
NO_SUCH_TRANSACTION = ("R000002", "The OriginalTransactionID is invalid.")
WRONG_AMOUNT = ("R000003", "The reversal amount is invalid.")
QUEUE_TIMEOUT = (1, "The request timed out in the queue.")
B2C_COMMANDS = frozenset({"BusinessPayment", "SalaryPayment", "PromotionPayment"})
ACCEPTED = "Accept the service request successfully."

Code = tuple[int | str, str]


@dataclass(frozen=True, slots=True)
class InitiatorRequest:
    """An accepted initiator request, as the simulator keeps it for tests."""

    command: str
    originator_conversation_id: str
    conversation_id: str
    body: Mapping[str, Any]


def _text(body: Mapping[str, Any], field: str, *, required: bool = True, limit: int = 100) -> str:
    value = body.get(field, None if required else "")
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        raise invalid(field)
    return value


def _stamp(moment: datetime) -> int:
    return int(moment.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"))


class InitiatorSimulator:
    """Checks and answers the initiator calls; keeps the B2C float per shortcode."""

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
        self.results_time_out = settings.results_time_out
        self.result_delay = settings.result_delay
        # How many times each Result (or timeout) is POSTed: 0 loses it, 2 repeats it.
        self.result_copies = 1
        self.float = dict(settings.b2c_float)
        self.requests: list[InitiatorRequest] = []
        self._timeouts: deque[bool] = deque()
        self._ledger = ledger
        self._courier = courier
        self._now = now
        self._rng = rng
        self._sequence = itertools.count(1)
        self._b2c_ids: set[str] = set()
        # Each B2C payment that ran, by its OriginatorConversationID (Transaction Status).
        self._b2c_paid: dict[str, str] = {}

    def time_out_next(self, times: int = 1) -> None:
        """Send the next ``times`` answers to QueueTimeOutURL instead of ResultURL."""
        self._timeouts.extend([True] * times)

    def _times_out(self) -> bool:
        if self._timeouts:
            return self._timeouts.popleft()
        return self.results_time_out

    def _owned(self, shortcode: str) -> frozenset[str]:
        """The shortcode and the tills it owns (what a Status or Reversal may look at)."""
        tills = {till for till, store in self.settings.tills.items() if store == shortcode}
        return frozenset({shortcode, *tills})

    def _initiator_ok(self, body: Mapping[str, Any], name_field: str) -> bool:
        name = _text(body, name_field)
        credential = _text(body, "SecurityCredential", limit=4096)
        password = simulator_keys().decrypt(credential)
        return name == self.settings.initiator_name and password == self.settings.initiator_password

    def _accept(
        self, command: str, body: Mapping[str, Any], originator: str | None = None
    ) -> tuple[InitiatorRequest, dict[str, Any]]:
        number = next(self._sequence)
        stamp = self._now().astimezone(NAIROBI).strftime("%Y%m%d")
        request = InitiatorRequest(
            command=command,
            originator_conversation_id=originator
            or f"{self._rng.randint(1000, 99999)}-{self._rng.randint(10**6, 10**8)}-{number}",
            conversation_id=f"AG_{stamp}_{self._rng.getrandbits(80):020x}",
            body=dict(body),
        )
        self.requests.append(request)
        answer = {
            "OriginatorConversationID": request.originator_conversation_id,
            "ConversationID": request.conversation_id,
            "ResponseCode": "0",
            "ResponseDescription": ACCEPTED,
        }
        return request, answer

    def _later(
        self,
        request: InitiatorRequest,
        urls: tuple[str, str],
        outcome: Callable[[], tuple[Code, list[dict[str, Any]], str | None]],
    ) -> None:
        """POST the Result (``outcome()`` runs when it is due) or a queue timeout."""

        async def answer() -> None:
            result_url, timeout_url = urls
            if self._times_out():
                kind, url = "timeout", timeout_url
                envelope = self._envelope(request, QUEUE_TIMEOUT, [], None, result_type=1)
            else:
                # The outcome is decided (and money moved) even when its Result is lost.
                kind, url = "result", result_url
                code, parameters, transaction_id = outcome()
                envelope = self._envelope(request, code, parameters, transaction_id)
            for _ in range(self.result_copies):
                await self._courier.post(
                    kind, url, envelope, seconds=self.settings.callback_timeout
                )

        self._courier.spawn(self._courier.later(self.result_delay, answer()))

    def _envelope(
        self,
        request: InitiatorRequest,
        code: Code,
        parameters: list[dict[str, Any]],
        transaction_id: str | None,
        *,
        result_type: int = 0,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ResultType": result_type,
            "ResultCode": code[0],
            "ResultDesc": code[1],
            "OriginatorConversationID": request.originator_conversation_id,
            "ConversationID": request.conversation_id,
            "TransactionID": transaction_id or self._ledger.new_receipt(self._now()),
            "ReferenceData": {
                "ReferenceItem": {
                    "Key": "QueueTimeoutURL",
                    "Value": request.body.get("QueueTimeOutURL", ""),
                }
            },
        }
        if parameters:
            result["ResultParameters"] = {"ResultParameter": parameters}
        return {"Result": result}

    def _urls(self, body: Mapping[str, Any]) -> tuple[str, str]:
        return (
            callback_url(body.get("ResultURL"), "ResultURL"),
            callback_url(body.get("QueueTimeOutURL"), "QueueTimeOutURL"),
        )

    # Transaction Status ----------------------------------------------------------------------

    def transaction_status(self, body: Any) -> dict[str, Any]:
        """Check a Transaction Status request, answer at once, POST the Result later."""
        if not isinstance(body, dict):
            raise invalid("Request")
        initiator_ok = self._initiator_ok(body, "Initiator")
        if body.get("CommandID") != "TransactionStatusQuery":
            raise invalid("CommandID")
        # A B2C payment whose Result never came is named by its call instead of its id.
        original = body.get("OriginalConversationID")
        by_call = "TransactionID" not in body and isinstance(original, str) and bool(original)
        transaction_id = "" if by_call else _text(body, "TransactionID", limit=32)
        party_a = digits(body, "PartyA")
        if party_a not in self.settings.passkeys and party_a not in self.settings.tills:
            raise invalid("PartyA")
        if body.get("IdentifierType") not in ("4", 4):
            raise invalid("IdentifierType")
        urls = self._urls(body)
        _text(body, "Remarks")
        _text(body, "Occasion", required=False)
        originator = body.get("OriginatorConversationID")
        request, answer = self._accept(
            "TransactionStatusQuery", body, originator if isinstance(originator, str) else None
        )

        def outcome() -> tuple[Code, list[dict[str, Any]], str | None]:
            if not initiator_ok:
                return INITIATOR_INVALID, [], None
            asked = self._b2c_paid.get(str(original), "") if by_call else transaction_id
            found = self._ledger.get(asked) if asked else None
            owner = self.settings.tills.get(party_a, party_a)
            if found is None or (not by_call and found.shortcode not in self._owned(owner)):
                return NO_SUCH_TRANSACTION, [], None
            return DONE, self._status_parameters(found, request), found.transaction_id

        self._later(request, urls, outcome)
        return answer

    def _party(self, transaction: LedgerTransaction) -> str:
        form = self.settings.c2b_msisdn_form
        # A digest would hide the number from staff reading /verify: masked at most.
        form = MsisdnForm.MASKED if form is MsisdnForm.HASHED else form
        shown = shown_msisdn(transaction.phone, form)
        return f"{shown} - {transaction.payer_name}"

    def _status_parameters(
        self, transaction: LedgerTransaction, request: InitiatorRequest
    ) -> list[dict[str, Any]]:
        shop = f"{transaction.shortcode} - {self.settings.organisation_name}"
        paybill = transaction.shortcode in self.settings.passkeys
        reason = {
            Kind.STK: "Pay Bill Online",
            Kind.C2B: "Pay Bill" if paybill else "Pay Merchant",
            Kind.REVERSAL: "Reversal",
            Kind.B2C: "Business Payment to Customer via API",
        }[transaction.kind]
        customer_pays = transaction.kind in (Kind.STK, Kind.C2B)
        person = self._party(transaction)
        debit, credit = (person, shop) if customer_pays else (shop, person)
        items: list[dict[str, Any]] = [
            {"Key": "DebitPartyName", "Value": debit},
            {"Key": "CreditPartyName", "Value": credit},
            {"Key": "OriginatorConversationID", "Value": request.originator_conversation_id},
            {"Key": "InitiatedTime", "Value": _stamp(transaction.time)},
            {"Key": "CreditPartyCharges"},
            {"Key": "DebitAccountType", "Value": "MMF Account For Customer"},
            {"Key": "TransactionReason"},
            {"Key": "ReasonType", "Value": reason},
            {"Key": "TransactionStatus", "Value": transaction.status},
            {"Key": "FinalisedTime", "Value": _stamp(transaction.time)},
            {"Key": "Amount", "Value": float(transaction.amount)},
            {"Key": "ConversationID", "Value": request.conversation_id},
            {"Key": "ReceiptNo", "Value": transaction.transaction_id},
        ]
        self._rng.shuffle(items)  # order varies: look parameters up by Key
        return items

    # Reversal --------------------------------------------------------------------------------

    def reversal(self, body: Any) -> dict[str, Any]:
        """Check a Reversal request, answer at once; reverse (or refuse) in the Result."""
        if not isinstance(body, dict):
            raise invalid("Request")
        initiator_ok = self._initiator_ok(body, "Initiator")
        if body.get("CommandID") != "TransactionReversal":
            raise invalid("CommandID")
        transaction_id = _text(body, "TransactionID", limit=32)
        amount = whole_amount(body.get("Amount"))
        receiver = digits(body, "ReceiverParty")
        if receiver not in self.settings.passkeys and receiver not in self.settings.tills:
            raise invalid("ReceiverParty")
        if body.get("RecieverIdentifierType") not in ("11", "4", 11, 4):
            raise invalid("RecieverIdentifierType")
        urls = self._urls(body)
        _text(body, "Remarks")
        _text(body, "Occasion", required=False)
        request, answer = self._accept("TransactionReversal", body)

        def outcome() -> tuple[Code, list[dict[str, Any]], str | None]:
            if not initiator_ok:
                return INITIATOR_INVALID, [], None
            original = self._ledger.get(transaction_id)
            owner = self.settings.tills.get(receiver, receiver)
            if original is None or original.kind not in (Kind.STK, Kind.C2B):
                return NO_SUCH_TRANSACTION, [], None
            if original.shortcode not in self._owned(owner):
                return NO_SUCH_TRANSACTION, [], None
            if original.reversed_by is not None:
                return ALREADY_REVERSED, [], None
            if amount != original.amount:
                return WRONG_AMOUNT, [], None
            moment = self._now()
            reversal = self._ledger.add(
                LedgerTransaction(
                    transaction_id=self._ledger.new_receipt(moment),
                    kind=Kind.REVERSAL,
                    time=moment,
                    shortcode=original.shortcode,
                    phone=original.phone,
                    amount=amount,
                    first_name=original.first_name,
                    last_name=original.last_name,
                    reverses=original.transaction_id,
                )
            )
            original.status = "Reversed"
            original.reversed_by = reversal.transaction_id
            self._ledger.confirm_received(reversal, self.settings.organisation_name)
            parameters: list[dict[str, Any]] = [
                {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|0.00|0.00|0.00|0.00"},
                {"Key": "Amount", "Value": float(amount)},
                {"Key": "TransCompletedTime", "Value": _stamp(moment)},
                {"Key": "OriginalTransactionID", "Value": original.transaction_id},
                {"Key": "Charge", "Value": 0.0},
                {"Key": "CreditPartyPublicName", "Value": self._party(original)},
                {
                    "Key": "DebitPartyPublicName",
                    "Value": f"{original.shortcode} - {self.settings.organisation_name}",
                },
            ]
            return DONE, parameters, reversal.transaction_id

        self._later(request, urls, outcome)
        return answer

    # B2C -------------------------------------------------------------------------------------

    def b2c(self, body: Any) -> dict[str, Any]:
        """Check a B2C payment request, answer at once; pay (or refuse) in the Result."""
        if not isinstance(body, dict):
            raise invalid("Request")
        originator = _text(body, "OriginatorConversationID", limit=64)
        if originator in self._b2c_ids:
            raise Rejection(400, "400.002.02", "Bad Request - Duplicate OriginatorConversationID")
        initiator_ok = self._initiator_ok(body, "InitiatorName")
        command = body.get("CommandID")
        if command not in B2C_COMMANDS:
            raise invalid("CommandID")
        amount = whole_amount(body.get("Amount"))
        party_a = digits(body, "PartyA")
        if party_a not in self.float:
            raise invalid("PartyA")
        phone = msisdn(body.get("PartyB"), "PartyB")
        urls = self._urls(body)
        _text(body, "Remarks")
        _text(body, "Occasion", required=False)
        self._b2c_ids.add(originator)
        request, answer = self._accept(str(command), body, originator)

        def outcome() -> tuple[Code, list[dict[str, Any]], str | None]:
            if not initiator_ok:
                return INITIATOR_INVALID, [], None
            if amount > self.float[party_a]:
                return INSUFFICIENT_FLOAT, [], None
            self.float[party_a] -= amount
            moment = self._now()
            first, last = names_for(phone)
            payment = self._ledger.add(
                LedgerTransaction(
                    transaction_id=self._ledger.new_receipt(moment),
                    kind=Kind.B2C,
                    time=moment,
                    shortcode=party_a,
                    phone=phone,
                    amount=amount,
                    first_name=first,
                    last_name=last,
                )
            )
            self._ledger.confirm_received(payment, self.settings.organisation_name)
            self._b2c_paid[originator] = payment.transaction_id
            left = f"{self.float[party_a]:.2f}"
            parameters: list[dict[str, Any]] = [
                {"Key": "TransactionAmount", "Value": amount},
                {"Key": "TransactionReceipt", "Value": payment.transaction_id},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": 0.0},
                {"Key": "ReceiverPartyPublicName", "Value": f"{phone} - {payment.payer_name}"},
                {
                    "Key": "TransactionCompletedDateTime",
                    "Value": moment.astimezone(NAIROBI).strftime("%d.%m.%Y %H:%M:%S"),
                },
                {"Key": "B2CUtilityAccountAvailableFunds", "Value": float(left)},
                {"Key": "B2CWorkingAccountAvailableFunds", "Value": 0.0},
            ]
            return DONE, parameters, payment.transaction_id

        self._later(request, urls, outcome)
        return answer
