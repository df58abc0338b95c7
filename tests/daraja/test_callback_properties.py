"""Callback parsing, property by property: whatever arrives, a bounded callback or CallbackError."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daraja import CallbackError, StkCallback, parse_callback, storable_json
from daraja.callback import (
    MAX_AMOUNT,
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MAX_RECEIPT_LENGTH,
    MAX_RESULT_CODE,
    MIN_RESULT_CODE,
    load_callback,
    storable_as_loaded,
)
from daraja.signing import NAIROBI

PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that broke storage: NUL, lone surrogates, and everything else.
nasty_text = st.text(
    st.one_of(
        st.characters(codec=None),
        st.sampled_from(["\x00", "\ud800", "\udfff", "\u2028", "\ufeff"]),
    ),
    max_size=80,
)
huge_ints = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**31, -(2**31) - 1, 2**40, 2**63, 2**70, 10**30, 10**400]),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    huge_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    nasty_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=20,
)
# Values for the fields a callback has: sometimes right, often wrong.
any_value = st.one_of(json_values, nasty_text, huge_ints)


def callback_with(fields: dict[str, Any], items: list[dict[str, Any]] | None) -> dict[str, Any]:
    callback: dict[str, Any] = dict(fields)
    if items is not None:
        callback["CallbackMetadata"] = {"Item": items}
    return {"Body": {"stkCallback": callback}}


good_ids = st.text(
    st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=MAX_ID_LENGTH
)
receipts = st.text(
    st.characters(codec="ascii", categories=["Lu", "Nd"]), min_size=1, max_size=MAX_RECEIPT_LENGTH
)


@st.composite
def mutated_callbacks(draw: st.DrawFn) -> dict[str, Any]:
    """A callback in Daraja's shape with some fields replaced by anything at all."""
    fields: dict[str, Any] = {
        "MerchantRequestID": draw(good_ids),
        "CheckoutRequestID": draw(good_ids),
        "ResultCode": draw(st.sampled_from([0, 1, 1032, 1037, 2001])),
        "ResultDesc": draw(st.text(max_size=60)),
    }
    items = [
        {"Name": "Amount", "Value": draw(st.integers(1, 250_000))},
        {"Name": "MpesaReceiptNumber", "Value": draw(receipts)},
        {"Name": "TransactionDate", "Value": 20191219102115},
        {"Name": "PhoneNumber", "Value": 254708374149},
    ]
    for name in draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=3)):
        fields[name] = draw(any_value)
    for item in draw(st.lists(st.sampled_from(items), unique_by=id, max_size=3)):
        item["Value"] = draw(any_value)
    return callback_with(fields, items)


def assert_bounded(callback: StkCallback) -> None:
    """Everything a parsed callback holds fits the columns and carries no unstorable text."""
    strings = [
        callback.merchant_request_id,
        callback.checkout_request_id,
        callback.result_desc,
        callback.receipt_number or "",
        callback.phone or "",
        callback.result_code_text or "",
    ]
    for text in strings:
        assert "\x00" not in text
        assert not any("\ud800" <= char <= "\udfff" for char in text)
        text.encode("utf-8")  # encodable: no lone surrogate left
    assert 1 <= len(callback.checkout_request_id) <= MAX_ID_LENGTH
    assert 1 <= len(callback.merchant_request_id) <= MAX_ID_LENGTH
    assert len(callback.result_desc) <= MAX_DESCRIPTION_LENGTH
    assert callback.receipt_number is None or len(callback.receipt_number) <= MAX_RECEIPT_LENGTH
    if callback.result_code is None:
        assert callback.result_code_text
    else:
        assert MIN_RESULT_CODE <= callback.result_code <= MAX_RESULT_CODE
        assert callback.result_code_text is None
    assert callback.amount is None or 1 <= callback.amount <= MAX_AMOUNT
    if callback.paid:
        assert callback.amount is not None
        assert callback.receipt_number is not None


@PROPERTIES
@given(mutated_callbacks())
def test_a_mutated_callback_parses_within_bounds_or_raises_callback_error(
    body: dict[str, Any],
) -> None:
    for form in (body, json.dumps(body)):
        try:
            callback = parse_callback(form)
        except CallbackError:
            continue
        assert_bounded(callback)


@PROPERTIES
@given(json_values)
def test_any_json_at_all_gives_a_callback_or_callback_error(value: Any) -> None:
    try:
        parse_callback(json.dumps(value))
    except CallbackError:
        return


@PROPERTIES
@given(st.binary(max_size=200))
def test_any_bytes_at_all_give_a_callback_or_callback_error(body: bytes) -> None:
    try:
        parse_callback(body)
    except CallbackError:
        return


@PROPERTIES
@given(
    good_ids,
    good_ids,
    st.integers(1, 250_000),
    receipts,
    # Daraja's TransactionDate is a naive Nairobi wall-clock time.
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),  # noqa: DTZ001
)
def test_a_well_formed_success_reads_back_exactly(
    merchant: str, checkout: str, amount: int, receipt: str, when: datetime
) -> None:
    body = callback_with(
        {
            "MerchantRequestID": merchant,
            "CheckoutRequestID": checkout,
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
        },
        [
            {"Name": "Amount", "Value": amount},
            {"Name": "MpesaReceiptNumber", "Value": receipt},
            {"Name": "TransactionDate", "Value": int(when.strftime("%Y%m%d%H%M%S"))},
        ],
    )
    callback = parse_callback(json.dumps(body))
    assert (callback.merchant_request_id, callback.checkout_request_id) == (merchant, checkout)
    assert (callback.result_code, callback.amount, callback.receipt_number) == (0, amount, receipt)
    assert callback.transaction_date == when.replace(microsecond=0, tzinfo=NAIROBI)


@PROPERTIES
@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,31}", fullmatch=True), nasty_text)
def test_a_result_code_in_words_is_a_failure_with_the_code_kept(
    code: str, description: str
) -> None:
    body = callback_with(
        {
            "MerchantRequestID": "m",
            "CheckoutRequestID": "ws_CO_1",
            "ResultCode": code,
            "ResultDesc": description,
        },
        None,
    )
    callback = parse_callback(body)
    assert (callback.result_code, callback.result_code_text) == (None, code)
    assert not callback.paid
    assert_bounded(callback)


@PROPERTIES
@given(st.integers().filter(lambda n: not MIN_RESULT_CODE <= n <= MAX_RESULT_CODE))
def test_a_result_code_beyond_32_bits_is_refused(code: int) -> None:
    body = callback_with(
        {"MerchantRequestID": "m", "CheckoutRequestID": "c", "ResultCode": code, "ResultDesc": ""},
        None,
    )
    with pytest.raises(CallbackError, match="ResultCode"):
        parse_callback(body)


@PROPERTIES
@given(json_values)
def test_storable_json_holds_no_nul_or_lone_surrogate_and_is_valid_json(value: Any) -> None:
    try:
        stored = storable_json(value)
    except CallbackError:
        return
    text = json.dumps(stored, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate survives
    assert "\x00" not in text
    assert "\\u0000" not in json.dumps(stored)
    assert json.loads(text) == stored


@PROPERTIES
@given(json_values, st.booleans())
def test_a_body_storable_as_loaded_reads_as_storable_json_makes_it(
    value: Any, ascii_only: bool
) -> None:
    try:
        body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written as itself: not a body anyone sends
        return
    try:
        loaded = load_callback(body)
    except CallbackError:
        return
    if storable_as_loaded(body):
        assert storable_json(loaded) == loaded


def test_daraja_s_callbacks_are_storable_as_loaded() -> None:
    paid = callback_with(
        {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
        },
        [
            {"Name": "Amount", "Value": 1.00},
            {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
            {"Name": "TransactionDate", "Value": 20191219102115},
            {"Name": "PhoneNumber", "Value": 254708374149},
        ],
    )
    cancelled = callback_with(
        {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 1032,
            "ResultDesc": "Request canceled by user.",
        },
        None,
    )
    for body in (json.dumps(paid).encode(), json.dumps(cancelled, indent=2).encode()):
        assert storable_as_loaded(body)
    assert not storable_as_loaded(b'{"Body": {"ResultDesc": "caf\\u00e9"}}')  # escaped: copied
