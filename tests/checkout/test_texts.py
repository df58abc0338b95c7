"""Texts: every key in both languages, alike in placeholders, short and plain enough for SMS."""

from __future__ import annotations

import pytest

from checkout.domain.money import AmountReason
from checkout.domain.phones import PhoneReason
from checkout.domain.records import LANGUAGES, Language, PaymentStatus
from checkout.i18n.catalogue.outcomes import OUTCOME_EXPIRED, OUTCOME_FAILED, outcome_key
from checkout.i18n.texts import TEXTS, placeholders, t

# The GSM 03.38 basic alphabet: what an SMS or USSD screen shows at one character per byte.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Long but realistic values, so the length check holds for real messages.
SAMPLES = {
    "business": "Wildwash Laundry",
    "order": "ABCDEFGHIJKL",
    "amount": "250,000",
    "balance": "249,999",
    "phone": "0712 345 678",
    "receipt": "NLJ7RT61SV",
    "minimum": "1",
    "maximum": "250,000",
    "date": "28/11 09:15",
    "status": "imeghairiwa",
}
# Texts read only in Telegram (help, staff), where a screen is not 160 characters.
LONG_ALLOWED = {key for key in TEXTS["en"] if key == "help_text" or key.startswith("staff_")}
FAILURE_CODES = [1, 2, 3, 4, 17, 1001, 1019, 1025, 1032, 1036, 1037, 2001, 9999]


ALL_KEYS = [(language, key) for language in LANGUAGES for key in TEXTS[language]]
SHORT_KEYS = [pair for pair in ALL_KEYS if pair[1] not in LONG_ALLOWED]


def ids(pairs: list[tuple[Language, str]]) -> list[str]:
    return [f"{language}-{key}" for language, key in pairs]


def rendered(language: Language, key: str) -> str:
    """The text filled with realistic values, as a customer would read it."""
    template = TEXTS[language][key]
    return template.format(**(dict.fromkeys(placeholders(template), "x") | SAMPLES))


class TestBothLanguages:
    def test_every_key_exists_in_english_and_swahili(self) -> None:
        assert set(TEXTS["en"]) == set(TEXTS["sw"])

    @pytest.mark.parametrize("key", sorted(TEXTS["en"]))
    def test_both_languages_use_the_same_placeholders(self, key: str) -> None:
        assert placeholders(TEXTS["en"][key]) == placeholders(TEXTS["sw"][key])

    def test_swahili_is_not_english_copied(self) -> None:
        same = {key for key in TEXTS["en"] if TEXTS["en"][key] == TEXTS["sw"][key]}
        # Language names stay in their own language in both menus.
        assert same == {"button_english", "button_swahili"}


class TestFitForBasicPhones:
    @pytest.mark.parametrize(("language", "key"), ALL_KEYS, ids=ids(ALL_KEYS))
    def test_uses_only_the_gsm_alphabet(self, language: Language, key: str) -> None:
        text = rendered(language, key)
        assert set(text) <= GSM_BASIC, set(text) - GSM_BASIC

    @pytest.mark.parametrize(("language", "key"), SHORT_KEYS, ids=ids(SHORT_KEYS))
    def test_fits_one_sms(self, language: Language, key: str) -> None:
        assert len(rendered(language, key)) <= 160


class TestLookup:
    def test_fills_placeholders(self) -> None:
        text = t("en", "confirm_ask", amount="1,500", order="WW-1042", phone="0712 345 678")
        assert text == "Pay KES 1,500 for order WW-1042 from 0712 345 678?"

    def test_shows_integers_with_thousands_separators(self) -> None:
        assert t("sw", "button_pay_amount", amount=250000) == "Lipa KES 250,000"

    def test_ignores_extra_params(self) -> None:
        assert t("en", "push_refused", amount=5) == TEXTS["en"]["push_refused"]

    def test_a_missing_param_raises(self) -> None:
        with pytest.raises(KeyError):
            t("en", "confirm_ask", amount=1)

    def test_an_unknown_key_raises(self) -> None:
        with pytest.raises(KeyError):
            t("en", "no_such_text")

    def test_service_messages_read_as_specified(self) -> None:
        assert t("en", "push_sent", amount=1500, order="WW-1042") == (
            "Check your phone and enter your M-Pesa PIN to pay KES 1,500 for order WW-1042."
        )
        assert t("en", "outcome_paid", amount=500, order="WW-1", receipt="R1", balance=1000) == (
            "Paid: KES 500 for order WW-1. M-Pesa receipt R1. Balance left: KES 1,000."
        )


class TestKeysForEveryCase:
    @pytest.mark.parametrize("reason", list(AmountReason))
    def test_every_amount_rule_has_a_text(self, reason: AmountReason) -> None:
        assert f"amount_{reason.value}" in TEXTS["en"]

    @pytest.mark.parametrize("reason", list(PhoneReason))
    def test_every_phone_rule_has_a_text_with_an_example(self, reason: PhoneReason) -> None:
        for language in LANGUAGES:
            assert "0712 345 678" in TEXTS[language][f"phone_{reason.value}"]

    @pytest.mark.parametrize("status", list(PaymentStatus))
    def test_every_payment_status_has_a_name(self, status: PaymentStatus) -> None:
        assert f"payment_status_{status.value}" in TEXTS["en"]


class TestOutcomeKeys:
    @pytest.mark.parametrize(
        ("code", "key"),
        [
            (1, "outcome_insufficient_funds"),
            (2, "outcome_below_minimum"),
            (3, "outcome_above_maximum"),
            (4, "outcome_daily_limit"),
            (17, "outcome_duplicate"),
            (1001, "outcome_phone_busy"),
            (1019, "outcome_prompt_expired"),
            (1025, "outcome_not_sent"),
            (9999, "outcome_not_sent"),
            (1032, "outcome_cancelled"),
            (1036, "outcome_unreachable"),
            (1037, "outcome_unreachable"),
            (2001, "outcome_wrong_pin"),
            (1234, OUTCOME_FAILED),
            (-1, OUTCOME_FAILED),
        ],
    )
    def test_maps_result_codes_to_failure_texts(self, code: int, key: str) -> None:
        assert outcome_key(code) == key

    def test_success_is_not_a_failure(self) -> None:
        with pytest.raises(ValueError, match="success"):
            outcome_key(0)

    def test_the_fuliza_case_mentions_fuliza(self) -> None:
        assert "Fuliza" in t("en", outcome_key(1), amount=1, order="A")
        assert "Fuliza" in t("sw", outcome_key(1), amount=1, order="A")

    @pytest.mark.parametrize(
        "key", sorted({outcome_key(code) for code in FAILURE_CODES} | {OUTCOME_EXPIRED})
    )
    def test_every_failure_text_takes_the_same_params(self, key: str) -> None:
        # The service fills every failure text the same way, whatever the code.
        assert placeholders(TEXTS["en"][key]) == {"amount", "order"}
