"""The Result bodies the initiator APIs (Transaction Status, Reversal, B2C) POST later to
``ResultURL``, or to ``QueueTimeOutURL`` when the request timed out in Daraja's queue.

::

    {"Result": {"ResultType": 0, "ResultCode": 0, "ResultDesc": "...",
      "OriginatorConversationID": "...", "ConversationID": "AG_...", "TransactionID": "...",
      "ResultParameters": {"ResultParameter": [{"Key": "ReceiptNo", "Value": "NLJ7RT61SV"}, ...]},
      "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": "..."}}}}

``ResultParameter`` and ``ReferenceItem`` are a list or a single object; parameters are looked
up by ``Key`` and one without ``Value`` counts as None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from daraja.callback import MAX_DESCRIPTION_LENGTH, MAX_ID_LENGTH, load_callback, storable_text
from daraja.errors import CallbackError
from daraja.fields import (
    mapping,
    nairobi_time,
    optional_text,
    result_code,
    scalar,
    whole_shillings,
)

Parameters = Mapping[str, str | int | float | None]
MAX_TRANSACTION_ID_LENGTH = 32
MAX_KEY_LENGTH = 64
MAX_PARAMETERS = 200  # a real result carries about 15
# "254708374149 - John Doe", "2547****149 - John", "600638 - SHOP NAME"
_PARTY = re.compile(r"\s*([0-9*#a-fA-F ]*?[0-9*a-fA-F])\s+-\s+(.*?)\s*")


@dataclass(frozen=True, slots=True)
class InitiatorResult:
    """A parsed Result (or queue timeout) of Transaction Status, Reversal or B2C.

    ``result_code`` is None when Daraja sent a code in letters (``result_code_text``, e.g.
    ``SFC_IC0003``) or, in a timeout body, none at all.
    """

    result_type: int | None
    result_code: int | None
    result_code_text: str | None
    result_desc: str
    originator_conversation_id: str | None
    conversation_id: str | None
    transaction_id: str | None
    parameters: Parameters
    reference: Parameters

    @property
    def succeeded(self) -> bool:
        """True when the request was carried out (ResultCode 0)."""
        return self.result_code == 0

    @property
    def code(self) -> str:
        """The result code as text, whichever form it came in ("0", "2001", "SFC_IC0003", "")."""
        if self.result_code is not None:
            return str(self.result_code)
        return self.result_code_text or ""


def _pairs(container: Any, list_key: str, where: str, *, strict: bool) -> dict[str, Any]:
    """The Key→Value pairs of ``{list_key: [...] | {...}}``; a missing container is empty."""
    if container is None or container == "":
        return {}
    if not isinstance(container, Mapping):
        if strict:
            raise CallbackError(f"{where} is not an object")
        return {}
    items = container.get(list_key)
    if items is None:
        return {}
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list | tuple):
        if strict:
            raise CallbackError(f"{where}.{list_key} is not a list or an object")
        return {}
    if len(items) > MAX_PARAMETERS:
        raise CallbackError(f"{where} has more than {MAX_PARAMETERS} items")
    found: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Mapping):
            if strict:
                raise CallbackError(f"an item of {where} is not an object")
            continue
        key = item.get("Key")
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            if strict:
                raise CallbackError(f"an item of {where} has no usable Key")
            continue
        key = storable_text(key)
        if key in found and strict:
            # Two Amounts would let a forged body choose which one is read.
            raise CallbackError(f"{where} item {key} appears twice")
        found[key] = scalar(item.get("Value"), f"{where} {key}")
    return found


def _read(data: Any, *, strict: bool) -> InitiatorResult:
    outer = mapping(data, "the result body")
    if strict:
        result = mapping(outer.get("Result"), "Result")
        code, code_text = result_code(result.get("ResultCode"))
        sent_desc = result.get("ResultDesc")
        if not isinstance(sent_desc, str):
            raise CallbackError("ResultDesc is missing or not a string")
        desc: str = sent_desc
    else:
        # A timeout body without the envelope (or with a broken one): read what there is.
        enveloped = outer.get("Result")
        result = enveloped if isinstance(enveloped, Mapping) else outer
        code, code_text = _lenient_code(result.get("ResultCode"))
        sent_desc = result.get("ResultDesc")
        desc = sent_desc if isinstance(sent_desc, str) else ""
    if len(desc) > MAX_DESCRIPTION_LENGTH:
        if strict:
            raise CallbackError(f"ResultDesc is longer than {MAX_DESCRIPTION_LENGTH} characters")
        desc = desc[:MAX_DESCRIPTION_LENGTH]
    result_type = result.get("ResultType")
    if isinstance(result_type, bool) or not isinstance(result_type, int):
        result_type = None
    originator = _id(result.get("OriginatorConversationID"), "OriginatorConversationID", strict)
    conversation = _id(result.get("ConversationID"), "ConversationID", strict)
    if strict and originator is None and conversation is None:
        raise CallbackError("the result names neither OriginatorConversationID nor ConversationID")
    return InitiatorResult(
        result_type=result_type,
        result_code=code,
        result_code_text=code_text,
        result_desc=storable_text(desc),
        originator_conversation_id=originator,
        conversation_id=conversation,
        transaction_id=_id(result.get("TransactionID"), "TransactionID", strict),
        parameters=MappingProxyType(
            _pairs(
                result.get("ResultParameters"), "ResultParameter", "ResultParameters", strict=strict
            )
        ),
        reference=MappingProxyType(
            _pairs(result.get("ReferenceData"), "ReferenceItem", "ReferenceData", strict=strict)
        ),
    )


def _id(value: Any, where: str, strict: bool) -> str | None:
    try:
        return optional_text(value, where, max_length=MAX_ID_LENGTH)
    except CallbackError:
        if strict:
            raise
        return None


def _lenient_code(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, None) if abs(value) < 2**31 else (None, None)
    if isinstance(value, str) and value.strip():
        # A timeout is never a success, so a code in text is kept as text, even "0".
        return None, storable_text(value.strip())[:32]
    return None, None


def _parse_with(body: bytes | str | Mapping[str, Any], *, strict: bool) -> InitiatorResult:
    try:
        return _read(load_callback(body), strict=strict)
    except CallbackError:
        raise
    except Exception as exc:
        # The body comes from the internet: a hostile mapping is a malformed body, not a crash.
        raise CallbackError(f"malformed result body ({type(exc).__name__})") from exc


def parse_result(body: bytes | str | Mapping[str, Any]) -> InitiatorResult:
    """Return the Result POSTed to ``ResultURL``; CallbackError, and nothing else, if malformed.

    Required: the ``Result`` envelope, a ResultCode (a number, or a code in letters), a
    ResultDesc, and OriginatorConversationID or ConversationID to match it by. A parameter Key
    that appears twice is refused.
    """
    return _parse_with(body, strict=True)


def parse_timeout(body: bytes | str | Mapping[str, Any]) -> InitiatorResult:
    """Return what a ``QueueTimeOutURL`` body says, as far as it says anything.

    Tolerant: whatever is missing or odd becomes None (the caller asks again rather than trust
    a timeout), and a ResultCode sent as text stays text, so a timeout never reads as a
    success. CallbackError only for a body that is not a JSON object at all.
    """
    return _parse_with(body, strict=False)


@dataclass(frozen=True, slots=True)
class TransactionStatusDetails:
    """What a Transaction Status result says of one transaction (any field may be missing).

    ``debit_party``/``credit_party`` are as M-Pesa gives them ("254708374149 - John Doe",
    "600638 - SHOP"); ``debit_phone`` and ``payer_name`` are the payer's half of the debit
    party (the phone may be masked), ``credit_shortcode`` the number of the credit party.
    ``amount`` is None when it is missing or not whole shillings.
    """

    receipt: str | None
    amount: int | None
    status: str | None  # "Completed", "Failed", "Reversed"...
    debit_party: str | None
    credit_party: str | None
    debit_phone: str | None
    payer_name: str | None
    credit_shortcode: str | None
    initiated_at: datetime | None
    finalised_at: datetime | None
    reason_type: str | None

    @property
    def completed(self) -> bool:
        """True when M-Pesa reports the transaction completed."""
        return (self.status or "").strip().lower() == "completed"


def split_party(party: str | None) -> tuple[str | None, str | None]:
    """``"254708374149 - John Doe"`` → ``("254708374149", "John Doe")``; (None, None) if unsure."""
    if not party:
        return None, None
    matched = _PARTY.fullmatch(party)
    if matched is None:
        return None, None
    number = matched.group(1).replace(" ", "")
    if not any(char.isdigit() for char in number):
        return None, None  # a name with a dash in it, not "number - name"
    return number, matched.group(2) or None


def _text_parameter(parameters: Parameters, key: str) -> str | None:
    value = parameters.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _amount_parameter(parameters: Parameters, key: str) -> int | None:
    try:
        return whole_shillings(parameters.get(key), key)
    except CallbackError:
        return None


def _time_parameter(parameters: Parameters, key: str) -> datetime | None:
    value = parameters.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return nairobi_time(value, key)
    except CallbackError:
        return None


def transaction_status_details(result: InitiatorResult) -> TransactionStatusDetails:
    """Read a Transaction Status result's parameters; never raises for odd values (None)."""
    parameters = result.parameters
    debit = _text_parameter(parameters, "DebitPartyName")
    credit = _text_parameter(parameters, "CreditPartyName")
    debit_phone, payer_name = split_party(debit)
    credit_shortcode, _ = split_party(credit)
    return TransactionStatusDetails(
        receipt=_text_parameter(parameters, "ReceiptNo") or result.transaction_id,
        amount=_amount_parameter(parameters, "Amount"),
        status=_text_parameter(parameters, "TransactionStatus"),
        debit_party=debit,
        credit_party=credit,
        debit_phone=debit_phone,
        payer_name=payer_name,
        credit_shortcode=credit_shortcode,
        initiated_at=_time_parameter(parameters, "InitiatedTime"),
        finalised_at=_time_parameter(parameters, "FinalisedTime"),
        reason_type=_text_parameter(parameters, "ReasonType"),
    )
