"""What follows /neworder's amount: a phone number, a description, or a phone typed wrong."""

from __future__ import annotations

import pytest

from checkout.staff.order_input import WrongPhone, phone_and_description


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("", (None, None)),
        ("0712345678", ("0712345678", None)),
        ("0712345678 Duvet wash", ("0712345678", "Duvet wash")),
        ("0712 345 678 2 shirts", ("0712 345 678", "2 shirts")),
        ("+254712345678 Suit", ("+254712345678", "Suit")),
        ("Two shirts", (None, "Two shirts")),
        ("2 shirts", (None, "2 shirts")),
        ("12 shirts 0712", (None, "12 shirts 0712")),
    ],
)
def test_the_words_after_the_amount_split_into_phone_and_description(
    rest: str, expected: tuple[str | None, str | None]
) -> None:
    assert phone_and_description(rest) == expected


@pytest.mark.parametrize(
    ("rest", "typed", "reason"),
    [
        ("0812", "0812", "invalid"),
        ("0812 Duvet wash", "0812", "invalid"),
        ("0712 345 67 Duvet", "0712 345 67", "invalid"),
        ("0200000000 x", "0200000000", "not_mobile"),
        ("+44 7911 123456", "+44 7911 123456", "not_kenyan"),
    ],
)
def test_a_phone_like_start_that_is_no_kenyan_mobile_is_refused_with_the_reason(
    rest: str, typed: str, reason: str
) -> None:
    with pytest.raises(WrongPhone) as refused:
        phone_and_description(rest)
    assert (refused.value.typed, refused.value.reason) == (typed, reason)
