"""Amounts and phone numbers, parsed from whatever is typed: properties over generated input."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checkout.domain.money import MAX_AMOUNT, MIN_AMOUNT, AmountError, format_number, parse_amount
from checkout.domain.phones import PhoneError, display_phone, normalise_phone

AMOUNTS = st.integers(min_value=MIN_AMOUNT, max_value=MAX_AMOUNT)


@given(st.text(max_size=40))
@example("9" * 5000)
@example("1,500\x00")
@example("\ud800")
@settings(max_examples=400, deadline=None)
def test_any_typed_text_is_an_amount_in_range_or_a_refusal(text: str) -> None:
    try:
        amount = parse_amount(text)
    except AmountError:
        return
    assert isinstance(amount, int)
    assert MIN_AMOUNT <= amount <= MAX_AMOUNT


@given(
    AMOUNTS,
    st.sampled_from(["{}", "{:,}", "KES {:,}", "Ksh {}", "{}/=", "{:,}.00", "sh. {}"]),
)
@settings(max_examples=300, deadline=None)
def test_an_amount_written_as_kenyans_write_it_reads_back_exactly(
    amount: int, template: str
) -> None:
    assert parse_amount(template.format(amount)) == amount


@given(AMOUNTS, st.integers(min_value=0, max_value=MAX_AMOUNT))
@settings(max_examples=200, deadline=None)
def test_an_amount_above_the_balance_is_refused(amount: int, balance: int) -> None:
    try:
        parsed = parse_amount(format_number(amount), balance)
    except AmountError:
        assert amount > balance
    else:
        assert parsed == amount <= balance


@given(st.text(max_size=40))
@example("+254712345678\x00")
@example("0" * 300)
@example("\udfff0712345678")
@settings(max_examples=400, deadline=None)
def test_any_typed_text_is_a_kenyan_mobile_number_or_a_refusal(text: str) -> None:
    try:
        phone = normalise_phone(text)
    except PhoneError:
        return
    assert phone.isdigit()
    assert phone.isascii()
    assert len(phone) == 12
    assert phone.startswith(("2547", "2541"))
    assert normalise_phone(phone) == phone  # normal already


@given(
    st.sampled_from(["7", "1"]),
    st.integers(min_value=0, max_value=99_999_999),
    st.sampled_from(["0{}", "+254{}", "254{}", "{}", "+254 {}", "00254{}"]),
)
@settings(max_examples=300, deadline=None)
def test_each_way_of_writing_a_number_gives_the_same_number(
    lead: str, rest: int, template: str
) -> None:
    national = f"{lead}{rest:08d}"
    try:
        expected = normalise_phone("0" + national)
    except PhoneError:
        # Not an allocated mobile range: every spelling refuses it too.
        with pytest.raises(PhoneError):
            normalise_phone(template.format(national))
        return
    assert normalise_phone(template.format(national)) == expected
    assert display_phone(expected).replace(" ", "") == "0" + national


@pytest.mark.parametrize("text", ["", " ", "+", "0", "254"])
def test_fragments_of_a_number_are_refused(text: str) -> None:
    with pytest.raises(PhoneError):
        normalise_phone(text)
