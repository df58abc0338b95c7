"""Phone numbers: any common Kenyan way of writing a mobile number becomes Daraja's 2547/2541."""

from __future__ import annotations

import pytest

from checkout.domain.phones import (
    PhoneError,
    PhoneReason,
    display_phone,
    mask_phone,
    normalise_phone,
)


class TestNormalising:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("0712345678", "254712345678"),
            ("+254712345678", "254712345678"),
            ("254712345678", "254712345678"),
            ("712345678", "254712345678"),
            ("0112345678", "254112345678"),
            ("+254 712 345 678", "254712345678"),
            ("0712-345-678", "254712345678"),
            ("0712 345 678", "254712345678"),
            ("(0712) 345678", "254712345678"),
            ("+254 (0) 712 345 678", "254712345678"),
            ("00254712345678", "254712345678"),
            ("  0712345678  ", "254712345678"),
            ("0100123456", "254100123456"),
            ("0733123456", "254733123456"),  # Airtel range: no carrier is refused
            ("0770123456", "254770123456"),  # Telkom range
        ],
    )
    def test_accepts_kenyan_mobile_numbers(self, text: str, expected: str) -> None:
        assert normalise_phone(text) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", PhoneReason.INVALID),
            ("hello", PhoneReason.INVALID),
            ("0712 345 67", PhoneReason.INVALID),  # a digit short
            ("07123456789", PhoneReason.INVALID),  # a digit too many
            ("0712ABCDEF", PhoneReason.INVALID),  # letters are not keypad digits here
            ("0712345678 ext 5", PhoneReason.INVALID),
            ("+2547123", PhoneReason.INVALID),
            ("020 2222222", PhoneReason.NOT_MOBILE),  # Nairobi landline
            ("0202222222", PhoneReason.NOT_MOBILE),
            ("0800 720 000", PhoneReason.NOT_MOBILE),  # toll free
            ("+14155552671", PhoneReason.NOT_KENYAN),
            ("+255712345678", PhoneReason.NOT_KENYAN),  # Tanzania
            ("+256712345678", PhoneReason.NOT_KENYAN),  # Uganda
        ],
    )
    def test_refuses_with_a_reason(self, text: str, reason: PhoneReason) -> None:
        with pytest.raises(PhoneError) as caught:
            normalise_phone(text)
        assert caught.value.reason is reason

    def test_the_error_is_a_value_error(self) -> None:
        assert issubclass(PhoneError, ValueError)


class TestShowing:
    def test_masks_the_middle_for_logs(self) -> None:
        assert mask_phone("254712345678") == "2547****5678"

    def test_masks_short_values_almost_entirely(self) -> None:
        assert mask_phone("12345") == "***45"
        assert mask_phone("") == ""

    @pytest.mark.parametrize(
        ("phone", "shown"),
        [
            ("254712345678", "0712 345 678"),
            ("254112345678", "0112 345 678"),
            ("+254712345678", "0712 345 678"),
        ],
    )
    def test_displays_the_way_kenyans_write_numbers(self, phone: str, shown: str) -> None:
        assert display_phone(phone) == shown

    def test_display_refuses_a_number_that_does_not_validate(self) -> None:
        with pytest.raises(PhoneError):
            display_phone("254202222222")
