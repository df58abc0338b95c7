"""Callback parsing: DESIGN.md's payloads, tolerated variations, and malformed bodies."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from daraja.callback import parse_callback
from daraja.errors import CallbackError
from daraja.models import StkCallback
from daraja.result_codes import ResultCode

SUCCESS_TEXT = """{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
"CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,
"ResultDesc":"The service request is processed successfully.",
"CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},
{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},
{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"""

CANCELLED_TEXT = """{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
"CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":1032,
"ResultDesc":"Request cancelled by user"}}}"""


def success() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SUCCESS_TEXT)
    return data


def with_items(items: list[dict[str, Any]]) -> dict[str, Any]:
    data = success()
    data["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = items
    return data


EXPECTED_SUCCESS = StkCallback(
    merchant_request_id="29115-34620561-1",
    checkout_request_id="ws_CO_191220191020363925",
    result_code=0,
    result_desc="The service request is processed successfully.",
    amount=1,
    receipt_number="NLJ7RT61SV",
    transaction_date=datetime(2019, 12, 19, 10, 21, 15, tzinfo=ZoneInfo("Africa/Nairobi")),
    phone="254708374149",
)


class TestWellFormed:
    @pytest.mark.parametrize("form", [str, str.encode, json.loads])
    def test_the_design_success_payload_parses_from_text_bytes_or_mapping(self, form: Any) -> None:
        callback = parse_callback(form(SUCCESS_TEXT))
        assert callback == EXPECTED_SUCCESS
        assert callback.paid
        assert callback.known_code is ResultCode.PAID

    def test_transaction_date_is_aware_nairobi_time(self) -> None:
        date = parse_callback(SUCCESS_TEXT).transaction_date
        assert date is not None
        assert date.utcoffset() is not None
        assert date.isoformat() == "2019-12-19T10:21:15+03:00"

    def test_a_failure_has_no_metadata(self) -> None:
        callback = parse_callback(CANCELLED_TEXT)
        assert callback.result_code == ResultCode.CANCELLED
        assert (callback.amount, callback.receipt_number, callback.phone) == (None, None, None)
        assert callback.transaction_date is None
        assert not callback.paid

    def test_items_are_found_by_name_in_any_order(self) -> None:
        items = success()["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
        assert parse_callback(with_items(list(reversed(items)))) == EXPECTED_SUCCESS

    def test_unknown_items_and_items_without_value_are_tolerated(self) -> None:
        items = success()["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
        items += [{"Name": "Something"}, {"Name": "New", "Value": [1, 2]}]
        assert parse_callback(with_items(items)) == EXPECTED_SUCCESS

    def test_an_integer_amount_is_accepted(self) -> None:
        data = success()
        data["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = 2500
        assert parse_callback(data).amount == 2500

    def test_a_masked_phone_is_kept_as_text(self) -> None:
        data = success()
        data["Body"]["stkCallback"]["CallbackMetadata"]["Item"][4]["Value"] = "2547****4149"
        assert parse_callback(data).phone == "2547****4149"

    def test_a_success_without_phone_or_date_still_parses(self) -> None:
        items = success()["Body"]["stkCallback"]["CallbackMetadata"]["Item"][:3]
        callback = parse_callback(with_items(items))
        assert (callback.phone, callback.transaction_date) == (None, None)


def mutate_item(name: str, value: Any) -> dict[str, Any]:
    data = success()
    for item in data["Body"]["stkCallback"]["CallbackMetadata"]["Item"]:
        if item["Name"] == name:
            item["Value"] = value
    return data


def mutate_field(name: str, value: Any) -> dict[str, Any]:
    data = success()
    data["Body"]["stkCallback"][name] = value
    return data


def drop_field(name: str) -> dict[str, Any]:
    data = success()
    del data["Body"]["stkCallback"][name]
    return data


class TestMalformed:
    @pytest.mark.parametrize(
        ("body", "says"),
        [
            (b"\xff\xfe not utf-8", "UTF-8"),
            ("{not json", "JSON"),
            ("", "JSON"),
            ('{"Body": NaN}', "NaN"),
            ("[1, 2]", "callback"),
            ('"just a string"', "callback"),
            ("{}", "Body"),
            ('{"Body": []}', "Body"),
            ('{"Body": {}}', "stkCallback"),
            ('{"Body": {"stkCallback": "x"}}', "stkCallback"),
            (drop_field("ResultCode"), "ResultCode"),
            (mutate_field("ResultCode", "0"), "ResultCode"),
            (mutate_field("ResultCode", True), "ResultCode"),
            (mutate_field("ResultCode", 0.0), "ResultCode"),
            (drop_field("CheckoutRequestID"), "CheckoutRequestID"),
            (mutate_field("CheckoutRequestID", ""), "CheckoutRequestID"),
            (mutate_field("MerchantRequestID", 12), "MerchantRequestID"),
            (mutate_field("ResultDesc", None), "ResultDesc"),
            (mutate_field("CallbackMetadata", []), "CallbackMetadata"),
            (mutate_field("CallbackMetadata", {"Item": {"Name": "Amount"}}), "Item"),
            (mutate_field("CallbackMetadata", {"Item": ["Amount"]}), "item"),
            (mutate_field("CallbackMetadata", {"Item": [{"Value": 1}]}), "Name"),
            (mutate_item("Amount", 1.5), "whole"),
            (mutate_item("Amount", True), "Amount"),
            (mutate_item("Amount", "1.00"), "Amount"),
            (mutate_item("Amount", 0), "Amount"),
            (mutate_item("Amount", None), "Amount"),  # a success without its amount
            (mutate_item("MpesaReceiptNumber", None), "MpesaReceiptNumber"),
            (mutate_item("MpesaReceiptNumber", 12345), "MpesaReceiptNumber"),
            (mutate_item("TransactionDate", 2019121910211), "TransactionDate"),
            (mutate_item("TransactionDate", 20191319102115), "TransactionDate"),
            (mutate_item("TransactionDate", True), "TransactionDate"),
            (mutate_item("PhoneNumber", False), "PhoneNumber"),
            (mutate_item("PhoneNumber", 2.5), "PhoneNumber"),
            (
                with_items(
                    [
                        *success()["Body"]["stkCallback"]["CallbackMetadata"]["Item"],
                        {"Name": "Amount", "Value": 5000},
                    ]
                ),
                "twice",
            ),
        ],
    )
    def test_malformed_bodies_raise_callback_error_saying_what_is_wrong(
        self, body: Any, says: str
    ) -> None:
        with pytest.raises(CallbackError, match=says):
            parse_callback(body)

    def test_callback_error_is_a_value_error(self) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 (the base class is what is checked)
            parse_callback("nope")

    def test_a_body_of_another_type_is_refused(self) -> None:
        with pytest.raises(CallbackError):
            parse_callback(12345)  # type: ignore[arg-type]

    def test_deeply_nested_json_is_refused(self) -> None:
        with pytest.raises(CallbackError):
            parse_callback("[" * 100_000 + "]" * 100_000)

    def test_a_hostile_mapping_is_refused(self) -> None:
        class Hostile(Mapping[str, Any]):
            def __getitem__(self, key: str) -> Any:
                raise RuntimeError("boom")

            def __iter__(self) -> Iterator[str]:
                raise RuntimeError("boom")

            def __len__(self) -> int:
                return 1

        with pytest.raises(CallbackError):
            parse_callback(Hostile())


# Deterministic fuzzing ---------------------------------------------------------------------

GARBAGE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    2**80,
    float("inf"),
    "",
    "x",
    "0",
    [],
    {},
    [None],
    {"": 1},
    [[[]]],
    "ws_CO_1",
    {"Name": "Amount"},
    {"Value": 1},
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _mutated(rng: random.Random) -> Any:
    data = success() if rng.random() < 0.8 else json.loads(CANCELLED_TEXT)
    paths = [p for p in _paths(data) if p]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        parent = data
        for step in path[:-1]:
            if not isinstance(parent, dict | list):
                break
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            key = path[-1]
            action = rng.randrange(4)
            try:
                if action == 0 and isinstance(parent, dict):
                    parent.pop(key, None)
                elif action == 1:
                    parent[key] = copy.deepcopy(rng.choice(GARBAGE))
                elif action == 2:
                    parent[key] = [parent[key]]
                elif isinstance(parent, dict):
                    parent[f"{key}x"] = parent.pop(key, None)
            except (KeyError, IndexError, TypeError):
                pass
    return data


def _bodies(seed: int, count: int) -> Iterator[Any]:
    rng = random.Random(seed)
    for _ in range(count):
        kind = rng.randrange(6)
        if kind == 0:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        elif kind == 1:
            yield SUCCESS_TEXT[: rng.randrange(len(SUCCESS_TEXT))]
        elif kind == 2:
            data = _mutated(rng)
            yield data  # as a mapping, garbage objects and all
        elif kind == 3:
            yield json.dumps(_mutated(rng))
        elif kind == 4:
            yield json.dumps(rng.choice(GARBAGE)).encode()
        else:
            text = bytearray(SUCCESS_TEXT.encode())
            for _ in range(rng.randint(1, 4)):
                text[rng.randrange(len(text))] = rng.randrange(256)
            yield bytes(text)


def test_fuzzed_bodies_raise_nothing_but_callback_error() -> None:
    rejected = accepted = 0
    for body in _bodies(seed=20191219, count=3000):
        try:
            callback = parse_callback(body)
        except CallbackError:
            rejected += 1
        else:
            assert isinstance(callback, StkCallback)  # a harmless mutation (a renamed extra)
            accepted += 1
    assert rejected >= 1000
    assert accepted < rejected
