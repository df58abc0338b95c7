"""M-Pesa codes as customers type or paste them."""

from __future__ import annotations

import pytest

from checkout.till.verify.status import parse_code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("QK12ABC3DE", "QK12ABC3DE"),
        (" qk12abc3de ", "QK12ABC3DE"),
        ("QK12 ABC3-DE", "QK12ABC3DE"),
        ("QK12ABC3DE Confirmed. Ksh1,500.00 sent to WILDWASH for account WW-1042", "QK12ABC3DE"),
        ("QK12ABC3DE. Confirmed.", "QK12ABC3DE"),
    ],
)
def test_a_code_alone_or_the_whole_sms_gives_the_code(typed: str, code: str) -> None:
    assert parse_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["", "QK12ABC3D", "QK12ABC3DEF", "QK12ABC3D!", "0712345678", "I paid already", "WW-1042"],
)
def test_anything_else_is_not_a_code(typed: str) -> None:
    assert parse_code(typed) is None
