"""Amounts: what customers type becomes whole shillings within M-Pesa's limits, or a rule."""

from __future__ import annotations

import pytest

from checkout.domain.money import (
    MAX_AMOUNT,
    MIN_AMOUNT,
    AmountError,
    AmountReason,
    check_amount,
    format_kes,
    format_number,
    parse_amount,
)


class TestParsingWhatCustomersType:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1500", 1500),
            ("1,500", 1500),
            ("1 500", 1500),
            ("1\u00a0500", 1500),
            ("1500/=", 1500),
            ("1,500/-", 1500),
            ("KES 1500", 1500),
            ("Kes.1500", 1500),
            ("ksh1500", 1500),
            ("Ksh 1,500.00", 1500),
            ("KShs. 1,500", 1500),
            ("sh 200", 200),
            ("Shs 200", 200),
            ("1500 KES", 1500),
            ("1500.0", 1500),
            ("  250000 ", 250_000),
            ("250,000", 250_000),
            ("1", 1),
            ("0200", 200),
        ],
    )
    def test_accepts_common_ways_of_writing_shillings(self, text: str, expected: int) -> None:
        assert parse_amount(text) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", AmountReason.NOT_A_NUMBER),
            ("   ", AmountReason.NOT_A_NUMBER),
            ("KES", AmountReason.NOT_A_NUMBER),
            ("abc", AmountReason.NOT_A_NUMBER),
            ("fifteen hundred", AmountReason.NOT_A_NUMBER),
            ("1e3", AmountReason.NOT_A_NUMBER),
            ("1E3", AmountReason.NOT_A_NUMBER),
            ("1,50,0", AmountReason.NOT_A_NUMBER),
            ("15,00", AmountReason.NOT_A_NUMBER),
            ("1,5000", AmountReason.NOT_A_NUMBER),
            ("1,500 000", AmountReason.NOT_A_NUMBER),
            ("0,500", AmountReason.NOT_A_NUMBER),
            ("1_500", AmountReason.NOT_A_NUMBER),
            ("1500.", AmountReason.NOT_A_NUMBER),
            ("1500.00.00", AmountReason.NOT_A_NUMBER),
            ("0x5dc", AmountReason.NOT_A_NUMBER),
            ("١٥٠٠", AmountReason.NOT_A_NUMBER),  # Arabic-Indic digits
            ("1500 1500", AmountReason.NOT_A_NUMBER),
            ("USD 1500", AmountReason.NOT_A_NUMBER),
            ("1500.50", AmountReason.NOT_WHOLE),
            ("Ksh 1,500.5", AmountReason.NOT_WHOLE),
            ("1.500", AmountReason.NOT_WHOLE),
            ("0", AmountReason.TOO_SMALL),
            ("000", AmountReason.TOO_SMALL),
            ("-1500", AmountReason.TOO_SMALL),
            ("KES -1", AmountReason.TOO_SMALL),
            ("250001", AmountReason.TOO_LARGE),
            ("1,000,000", AmountReason.TOO_LARGE),
        ],
    )
    def test_refuses_with_the_rule_broken(self, text: str, reason: AmountReason) -> None:
        with pytest.raises(AmountError) as caught:
            parse_amount(text)
        assert caught.value.reason is reason

    def test_refuses_an_absurdly_long_number_as_too_large_without_crashing(self) -> None:
        # int() itself refuses strings of more than 4300 digits with a different error.
        with pytest.raises(AmountError) as caught:
            parse_amount("9" * 5000)
        assert caught.value.reason is AmountReason.TOO_LARGE

    def test_refuses_non_text(self) -> None:
        with pytest.raises(AmountError) as caught:
            parse_amount(1500)  # type: ignore[arg-type]
        assert caught.value.reason is AmountReason.NOT_A_NUMBER

    def test_checks_against_a_balance_when_given(self) -> None:
        assert parse_amount("500", balance=500) == 500
        with pytest.raises(AmountError) as caught:
            parse_amount("501", balance=500)
        assert caught.value.reason is AmountReason.ABOVE_BALANCE


class TestCheckingAmounts:
    def test_accepts_the_limits_themselves(self) -> None:
        assert check_amount(MIN_AMOUNT) == 1
        assert check_amount(MAX_AMOUNT) == 250_000

    @pytest.mark.parametrize(
        ("amount", "reason", "limit"),
        [
            (0, AmountReason.TOO_SMALL, 1),
            (-5, AmountReason.TOO_SMALL, 1),
            (250_001, AmountReason.TOO_LARGE, 250_000),
        ],
    )
    def test_refuses_outside_the_daraja_limits(
        self, amount: int, reason: AmountReason, limit: int
    ) -> None:
        with pytest.raises(AmountError) as caught:
            check_amount(amount)
        assert (caught.value.reason, caught.value.limit) == (reason, limit)

    @pytest.mark.parametrize("amount", [True, False, 1.0, "1500", None])
    def test_refuses_values_that_are_not_plain_integers(self, amount: object) -> None:
        with pytest.raises(AmountError) as caught:
            check_amount(amount)  # type: ignore[arg-type]
        assert caught.value.reason is AmountReason.NOT_A_NUMBER

    def test_refuses_more_than_the_balance_naming_the_balance(self) -> None:
        with pytest.raises(AmountError) as caught:
            check_amount(1501, balance=1500)
        assert (caught.value.reason, caught.value.limit) == (AmountReason.ABOVE_BALANCE, 1500)

    def test_a_balance_above_the_daraja_limit_leaves_the_daraja_limit_as_the_rule(self) -> None:
        with pytest.raises(AmountError) as caught:
            check_amount(260_000, balance=300_000)
        assert (caught.value.reason, caught.value.limit) == (AmountReason.TOO_LARGE, MAX_AMOUNT)

    def test_the_error_is_a_value_error(self) -> None:
        assert issubclass(AmountError, ValueError)


class TestFormatting:
    @pytest.mark.parametrize(
        ("amount", "number", "kes"),
        [
            (1, "1", "KES 1"),
            (999, "999", "KES 999"),
            (1500, "1,500", "KES 1,500"),
            (250_000, "250,000", "KES 250,000"),
            (1_234_567, "1,234,567", "KES 1,234,567"),
        ],
    )
    def test_groups_thousands_with_commas(self, amount: int, number: str, kes: str) -> None:
        assert format_number(amount) == number
        assert format_kes(amount) == kes

    def test_formatted_amounts_parse_back(self) -> None:
        for amount in (1, 1500, 99_999, 250_000):
            assert parse_amount(format_kes(amount)) == amount
