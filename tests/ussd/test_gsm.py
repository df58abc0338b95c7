"""The GSM 03.38 alphabet: which texts a basic phone shows, how long they are, how to fit them."""

from __future__ import annotations

import pytest

from checkout.channels.gsm import gsm7_length, is_gsm7, to_gsm7


class TestIsGsm7:
    @pytest.mark.parametrize(
        "text",
        ["Pay KES 1,500 for WW-1042?", "Ç'est £5 @ 10%\n", "ÄÖÑÜ§¿äöñüà", "[x] {y} €1 ~ | ^ \\"],
    )
    def test_accepts_the_basic_and_extension_alphabet(self, text: str) -> None:
        assert is_gsm7(text)

    @pytest.mark.parametrize(
        "text", ["Asante \U0001f600", "don\u2019t", "a \u2013 b", "Ksh\u00a0100", "ô", "\t"]
    )
    def test_refuses_what_a_basic_phone_cannot_show(self, text: str) -> None:
        assert not is_gsm7(text)


class TestLength:
    def test_basic_characters_take_one_place(self) -> None:
        assert gsm7_length("END Paid.") == 9

    def test_extension_characters_take_two(self) -> None:
        assert gsm7_length("€[]") == 6


class TestToGsm7:
    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("don\u2019t \u201cstop\u201d", 'don\'t "stop"'),
            ("9\u201317 \u2014 open\u2026", "9-17 - open..."),
            ("Caf\u00e9 H\u00f4tel", "Café Hotel"),
            ("Mama\u00a0Mboga\u200b", "Mama Mboga"),
            ("Asante \U0001f600!", "Asante ?!"),
            ("\ufb01ne", "fine"),
        ],
    )
    def test_replaces_what_a_basic_phone_cannot_show(self, text: str, shown: str) -> None:
        assert to_gsm7(text) == shown
        assert is_gsm7(to_gsm7(text))

    def test_leaves_gsm_text_alone(self) -> None:
        text = "Oda WW-1042: KES 1,500 ya kulipa.\n1. Lipa [sasa] €"
        assert to_gsm7(text) == text
