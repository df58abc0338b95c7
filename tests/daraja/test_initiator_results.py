"""Initiator Result and queue-timeout bodies, and Transaction Status details read from them."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest

from daraja import (
    CallbackError,
    InitiatorResult,
    parse_result,
    parse_timeout,
    transaction_status_details,
)
from daraja.results import split_party
from daraja.signing import NAIROBI

STATUS_RESULT = """{"Result":{"ResultType":0,"ResultCode":0,
"ResultDesc":"The service request is processed successfully.",
"OriginatorConversationID":"lipa-ts-0001","ConversationID":"AG_20191219_00004e48cf7e3533f581",
"TransactionID":"NLJ41HAY6Q","ResultParameters":{"ResultParameter":[
{"Key":"DebitPartyName","Value":"254708374149 - John Doe"},
{"Key":"CreditPartyName","Value":"600638 - Lipa Laundry"},
{"Key":"OriginatorConversationID","Value":"lipa-ts-0001"},
{"Key":"InitiatedTime","Value":20191219102115},{"Key":"CreditPartyCharges"},
{"Key":"DebitAccountType","Value":"MMF Account For Customer"},
{"Key":"ReasonType","Value":"Pay Bill Online"},{"Key":"TransactionStatus","Value":"Completed"},
{"Key":"FinalisedTime","Value":20191219102116},{"Key":"Amount","Value":1500},
{"Key":"ReceiptNo","Value":"NLJ7RT61SV"}]},
"ReferenceData":{"ReferenceItem":{"Key":"Occasion","Value":"WW-1042"}}}}"""


def status_result() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STATUS_RESULT)
    return data


def test_a_transaction_status_result_parses_and_its_details_are_read() -> None:
    result = parse_result(STATUS_RESULT.encode())
    assert result.succeeded
    assert result.code == "0"
    assert result.result_type == 0
    assert result.originator_conversation_id == "lipa-ts-0001"
    assert result.conversation_id == "AG_20191219_00004e48cf7e3533f581"
    assert result.transaction_id == "NLJ41HAY6Q"
    assert result.parameters["CreditPartyCharges"] is None
    assert result.reference == {"Occasion": "WW-1042"}
    details = transaction_status_details(result)
    assert details.receipt == "NLJ7RT61SV"
    assert details.amount == 1500
    assert details.status == "Completed"
    assert details.completed
    assert details.debit_party == "254708374149 - John Doe"
    assert details.debit_phone == "254708374149"
    assert details.payer_name == "John Doe"
    assert details.credit_party == "600638 - Lipa Laundry"
    assert details.credit_shortcode == "600638"
    assert details.initiated_at == datetime(2019, 12, 19, 10, 21, 15, tzinfo=NAIROBI)
    assert details.finalised_at == datetime(2019, 12, 19, 10, 21, 16, tzinfo=NAIROBI)
    assert details.reason_type == "Pay Bill Online"


def test_a_single_parameter_object_and_a_list_of_reference_items_both_read() -> None:
    data = status_result()
    data["Result"]["ResultParameters"]["ResultParameter"] = {"Key": "Amount", "Value": "20.00"}
    data["Result"]["ReferenceData"]["ReferenceItem"] = [{"Key": "QueueTimeoutURL", "Value": "u"}]
    result = parse_result(data)
    assert dict(result.parameters) == {"Amount": "20.00"}
    assert transaction_status_details(result).amount == 20
    assert dict(result.reference) == {"QueueTimeoutURL": "u"}


def test_a_failure_without_parameters_parses() -> None:
    data = status_result()
    result_part = data["Result"]
    result_part.update(ResultCode=2001, ResultDesc="The initiator information is invalid.")
    del result_part["ResultParameters"], result_part["TransactionID"]
    result = parse_result(data)
    assert not result.succeeded
    assert result.result_code == 2001
    assert result.parameters == {}
    details = transaction_status_details(result)
    assert details.amount is None
    assert details.receipt is None
    assert not details.completed


def test_a_code_in_letters_is_kept_as_text() -> None:
    data = status_result()
    data["Result"]["ResultCode"] = "R000001"
    result = parse_result(data)
    assert result.result_code is None
    assert result.result_code_text == "R000001"
    assert result.code == "R000001"
    assert not result.succeeded


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.pop("ResultCode"),
        lambda r: r.update(ResultCode="0"),  # digits as text must never read as success
        lambda r: r.update(ResultCode=True),
        lambda r: r.pop("ResultDesc"),
        lambda r: r.update(ResultDesc="x" * 1025),
        lambda r: (r.pop("OriginatorConversationID"), r.pop("ConversationID")),
        lambda r: r.update(ResultParameters={"ResultParameter": "Amount"}),
        lambda r: r["ResultParameters"]["ResultParameter"].append({"Key": "Amount", "Value": 1}),
        lambda r: r["ResultParameters"]["ResultParameter"].append({"Value": 1}),
        lambda r: r["ResultParameters"]["ResultParameter"].append({"Key": "X", "Value": [1]}),
        lambda r: r.update(ConversationID="x" * 65),
    ],
)
def test_malformed_results_are_refused(change: Any) -> None:
    data = status_result()
    change(data["Result"])
    with pytest.raises(CallbackError):
        parse_result(data)


@pytest.mark.parametrize("raw", [b"\xff", "nope", "[]", "{}", '{"Result": []}'])
def test_bodies_without_a_result_are_refused(raw: Any) -> None:
    with pytest.raises(CallbackError):
        parse_result(raw)


def test_a_queue_timeout_body_is_read_tolerantly() -> None:
    data = status_result()
    data["Result"]["ResultCode"] = "0"
    data["Result"]["ResultParameters"]["ResultParameter"].append({"Key": "Amount", "Value": 2})
    timeout = parse_timeout(data)
    # A code in text never reads as success, even "0".
    assert timeout.result_code is None
    assert timeout.result_code_text == "0"
    assert not timeout.succeeded
    assert timeout.originator_conversation_id == "lipa-ts-0001"


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"Result": "gone"},
        {"ResultCode": 1, "OriginatorConversationID": "o-1"},
        {"Result": {"ResultParameters": 3, "ConversationID": ["x"]}},
    ],
)
def test_odd_timeout_bodies_read_as_far_as_they_go(raw: dict[str, Any]) -> None:
    timeout = parse_timeout(copy.deepcopy(raw))
    assert isinstance(timeout, InitiatorResult)
    assert not timeout.succeeded
    assert timeout.result_desc == ""


def test_a_timeout_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(CallbackError):
        parse_timeout(b"<html>")


@pytest.mark.parametrize(
    ("party", "split"),
    [
        ("254708374149 - John Doe", ("254708374149", "John Doe")),
        ("2547****149 - Jane W. Mwangi", ("2547****149", "Jane W. Mwangi")),
        ("600638 - SHOP - NAIROBI", ("600638", "SHOP - NAIROBI")),
        ("Mary-Anne - Shop", (None, None)),
        ("just a name", (None, None)),
        (None, (None, None)),
    ],
)
def test_parties_split_into_number_and_name(
    party: str | None, split: tuple[str | None, str | None]
) -> None:
    assert split_party(party) == split


@pytest.mark.parametrize("amount", ["10.50", "lots", None, 0])
def test_an_amount_that_is_not_whole_shillings_reads_as_unknown(amount: Any) -> None:
    data = status_result()
    for item in data["Result"]["ResultParameters"]["ResultParameter"]:
        if item["Key"] == "Amount":
            item["Value"] = amount
    assert transaction_status_details(parse_result(data)).amount is None
