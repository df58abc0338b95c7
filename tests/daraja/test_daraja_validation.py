"""Every push field rule is checked before anything is sent; nothing is truncated or rounded."""

from __future__ import annotations

from typing import Any

import pytest

from daraja.client import DarajaClient
from daraja.errors import DarajaValidationError
from daraja.phones import mask_phone, normalise_phone
from daraja.validation import check_amount, check_description, check_reference
from tests.daraja.fakes import CALLBACK_URL, FakeDaraja


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0712345678", "254712345678"),
        ("+254712345678", "254712345678"),
        ("254712345678", "254712345678"),
        ("712345678", "254712345678"),
        ("0112345678", "254112345678"),
        ("+254 712 345 678", "254712345678"),
        ("254708374149", "254708374149"),
    ],
)
def test_kenyan_mobile_numbers_are_normalised_for_daraja(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "hello",
        "0202345678",  # a Nairobi landline
        "+14155552671",  # not Kenyan
        "2547123456789",  # one digit too many
        "07123",
        "+255712345678",  # Tanzania
        "0" * 300,
    ],
)
def test_numbers_that_are_not_kenyan_mobiles_are_refused(raw: str) -> None:
    with pytest.raises(DarajaValidationError) as caught:
        normalise_phone(raw)
    assert caught.value.field == "PhoneNumber"
    assert isinstance(caught.value, ValueError)


def test_a_phone_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(DarajaValidationError):
        normalise_phone(254712345678)  # type: ignore[arg-type]


def test_phones_are_masked_for_logs() -> None:
    assert mask_phone("254712345678") == "2547****5678"
    assert mask_phone("123") == "*23"


@pytest.mark.parametrize("amount", [1, 100, 250_000])
def test_whole_amounts_from_1_to_250000_are_accepted(amount: int) -> None:
    assert check_amount(amount) == amount


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        (0, "from 1"),
        (-5, "from 1"),
        (250_001, "250,000"),
        (True, "int"),
        (False, "int"),
        (10.0, "int"),
        (10.5, "int"),
        ("10", "int"),
        (None, "int"),
    ],
)
def test_other_amounts_are_refused_naming_the_rule(amount: Any, rule: str) -> None:
    with pytest.raises(DarajaValidationError, match=rule) as caught:
        check_amount(amount)
    assert caught.value.field == "Amount"


def test_reference_of_1_to_12_characters_is_kept_as_is() -> None:
    assert check_reference("A") == "A"
    assert check_reference("WW-000123456") == "WW-000123456"
    assert check_reference(" padded ") == " padded "  # never stripped


@pytest.mark.parametrize("reference", ["", "WW-0001234567", "x" * 40])
def test_reference_outside_1_to_12_characters_is_refused(reference: str) -> None:
    with pytest.raises(DarajaValidationError, match="1 to 12 characters") as caught:
        check_reference(reference)
    assert caught.value.field == "AccountReference"


def test_description_of_1_to_13_characters_is_kept() -> None:
    assert check_description("Laundry order") == "Laundry order"


@pytest.mark.parametrize("description", ["", "Laundry orders", "x" * 100])
def test_description_outside_1_to_13_characters_is_refused(description: str) -> None:
    with pytest.raises(DarajaValidationError, match="1 to 13 characters") as caught:
        check_description(description)
    assert caught.value.field == "TransactionDesc"


@pytest.mark.parametrize(
    ("phone", "amount", "reference", "description", "callback_url", "field"),
    [
        ("0202345678", 10, "REF", "Desc", CALLBACK_URL, "PhoneNumber"),
        ("0712345678", 10.0, "REF", "Desc", CALLBACK_URL, "Amount"),
        ("0712345678", True, "REF", "Desc", CALLBACK_URL, "Amount"),
        ("0712345678", 250_001, "REF", "Desc", CALLBACK_URL, "Amount"),
        ("0712345678", 10, "REFERENCE-0013", "Desc", CALLBACK_URL, "AccountReference"),
        ("0712345678", 10, "REF", "Fourteen chars", CALLBACK_URL, "TransactionDesc"),
        ("0712345678", 10, "REF", "Desc", "ftp://example.com/cb", "CallBackURL"),
        ("0712345678", 10, "REF", "Desc", "/relative/cb", "CallBackURL"),
        ("0712345678", 10, "REF", "Desc", "https://", "CallBackURL"),
    ],
)
async def test_push_breaking_a_rule_is_refused_before_any_request(
    fake: FakeDaraja,
    client: DarajaClient,
    phone: str,
    amount: Any,
    reference: str,
    description: str,
    callback_url: str,
    field: str,
) -> None:
    with pytest.raises(DarajaValidationError) as caught:
        await client.stk_push(phone, amount, reference, description, callback_url)
    assert caught.value.field == field
    assert fake.requests == []


async def test_query_without_checkout_id_is_refused_before_any_request(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    with pytest.raises(DarajaValidationError):
        await client.stk_query("")
    assert fake.requests == []
