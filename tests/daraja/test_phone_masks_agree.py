"""Daraja's client and Lipa's core each mask phones for logs; the two rules must agree.

daraja/ imports nothing of Lipa's, so it keeps its own copy of the rule; these tests hold
the copy equal to ``checkout.domain.phones.mask_phone`` on every length, short ones included.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout.domain.phones import mask_phone as core_mask_phone
from daraja.phones import mask_phone as daraja_mask_phone

SAMPLES = [
    "",
    "7",
    "12",
    "123",
    "12345",
    "071234567",
    "0712345678",
    "+254712345678",
    "254712345678",
    "2547123456789",
]


@pytest.mark.parametrize("phone", SAMPLES)
def test_daraja_masks_each_sample_phone_as_the_core_does(phone: str) -> None:
    assert daraja_mask_phone(phone) == core_mask_phone(phone)


@given(st.text(alphabet="+0123456789", max_size=20))
def test_daraja_masks_any_digit_string_as_the_core_does(phone: str) -> None:
    assert daraja_mask_phone(phone) == core_mask_phone(phone)


def test_a_short_value_keeps_only_its_last_two_characters_in_both() -> None:
    assert daraja_mask_phone("123") == core_mask_phone("123") == "*23"
