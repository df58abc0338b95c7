"""C2B validation/confirmation bodies: DESIGN.md's payload, the forms Daraja varies, refusals."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from daraja import (
    C2B_ACCEPT,
    C2B_CONFIRMED,
    C2BNotice,
    C2BRejectCode,
    CallbackError,
    c2b_reject,
    parse_c2b,
)
from daraja.signing import NAIROBI

CONFIRMATION = """{"TransactionType":"Pay Bill","TransID":"RKTQDM7W6S","TransTime":"20191122063845",
"TransAmount":"10.00","BusinessShortCode":"600638","BillRefNumber":"invoice008","InvoiceNumber":"",
"OrgAccountBalance":"49197.00","ThirdPartyTransID":"","MSISDN":"2547****149","FirstName":"John",
"MiddleName":"","LastName":"Doe"}"""


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CONFIRMATION)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("form", [str, str.encode, json.loads])
def test_the_design_confirmation_parses_from_text_bytes_or_mapping(form: Any) -> None:
    notice = parse_c2b(form(CONFIRMATION))
    assert notice == C2BNotice(
        transaction_id="RKTQDM7W6S",
        transaction_type="Pay Bill",
        transaction_time=datetime(2019, 11, 22, 6, 38, 45, tzinfo=NAIROBI),
        amount=10,
        shortcode="600638",
        bill_ref="invoice008",
        invoice_number=None,
        msisdn="2547****149",
        first_name="John",
        middle_name=None,
        last_name="Doe",
        org_balance="49197.00",
        third_party_id=None,
    )
    assert notice.payer_name == "John Doe"


@pytest.mark.parametrize(
    ("sent", "amount"), [("10.00", 10), ("10", 10), (10, 10), (10.0, 10), ("250000.00", 250000)]
)
def test_amounts_in_every_form_daraja_sends_are_whole_shillings(sent: Any, amount: int) -> None:
    assert parse_c2b(body(TransAmount=sent)).amount == amount


@pytest.mark.parametrize("sent", ["10.50", 10.5, "0.00", "-5", "ten", "", None, True, "1e3"])
def test_amounts_that_are_not_whole_positive_shillings_are_refused(sent: Any) -> None:
    with pytest.raises(CallbackError, match="TransAmount"):
        parse_c2b(body(TransAmount=sent))


@pytest.mark.parametrize("sent", [..., "", None, "   ", "A" * 33, "RKT QDM7W6", "RKT\x00QDM7W6"])
def test_a_missing_or_unusable_transaction_id_is_refused(sent: Any) -> None:
    with pytest.raises(CallbackError, match="TransID"):
        parse_c2b(body(TransID=sent))


def test_the_msisdn_is_kept_as_given_full_masked_or_hashed() -> None:
    digest = "a" * 64
    assert parse_c2b(body(MSISDN=digest)).msisdn == digest
    assert parse_c2b(body(MSISDN=254708374149)).msisdn == "254708374149"
    assert parse_c2b(body(MSISDN=...)).msisdn is None


def test_the_account_number_is_kept_as_the_customer_typed_it() -> None:
    assert parse_c2b(body(BillRefNumber=" ww-1042 ")).bill_ref == " ww-1042 "
    assert parse_c2b(body(BillRefNumber="")).bill_ref is None
    with pytest.raises(CallbackError, match="BillRefNumber"):
        parse_c2b(body(BillRefNumber="x" * 129))


def test_a_shortcode_sent_as_a_number_and_a_time_as_a_number_are_read() -> None:
    notice = parse_c2b(body(BusinessShortCode=600638, TransTime=20191122063845))
    assert notice.shortcode == "600638"
    assert notice.transaction_time == datetime(2019, 11, 22, 6, 38, 45, tzinfo=NAIROBI)


@pytest.mark.parametrize("sent", ["20191322063845", "2019112206384", "yesterday", 1.5])
def test_a_transaction_time_that_is_no_time_is_refused(sent: Any) -> None:
    with pytest.raises(CallbackError, match="TransTime"):
        parse_c2b(body(TransTime=sent))


def test_payer_name_is_none_without_names() -> None:
    notice = parse_c2b(body(FirstName="", MiddleName=" ", LastName=...))
    assert notice.payer_name is None


@pytest.mark.parametrize("raw", [b"\xff", "not json", "[]", "null", '{"TransID": NaN}'])
def test_bodies_that_are_not_an_object_are_refused(raw: Any) -> None:
    with pytest.raises(CallbackError):
        parse_c2b(raw)


def test_the_answers_are_the_shapes_daraja_expects() -> None:
    assert C2B_ACCEPT == {"ResultCode": "0", "ResultDesc": "Accepted"}
    assert C2B_CONFIRMED == {"ResultCode": 0, "ResultDesc": "Success"}
    assert c2b_reject(C2BRejectCode.INVALID_ACCOUNT, "Unknown account") == {
        "ResultCode": "C2B00012",
        "ResultDesc": "Unknown account",
    }
    assert [code.value for code in C2BRejectCode] == [
        "C2B00011",
        "C2B00012",
        "C2B00013",
        "C2B00016",
    ]
