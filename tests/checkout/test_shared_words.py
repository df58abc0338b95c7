"""The presenters every channel takes its shared words from: a refused number, "something went
wrong", WhatsApp's list button and "Check your phone", worded as the catalogue has them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout.domain.phones import PhoneError, PhoneReason
from checkout.domain.records import LANGUAGES, Channel, Language, Payment, PaymentStatus
from checkout.i18n.buttons import list_button_label
from checkout.i18n.chat import phone_rule_text, sorry_text
from checkout.i18n.payments.messages import push_sent_reply, push_sent_text
from checkout.i18n.texts import TEXTS, t

LANGUAGE_LIST: list[Language] = list(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGE_LIST)
@pytest.mark.parametrize("reason", list(PhoneReason))
def test_a_refused_number_reads_as_its_rule(language: Language, reason: PhoneReason) -> None:
    error = PhoneError(reason)
    assert phone_rule_text(language, error) == t(language, f"phone_{reason.value}")
    ussd_key = f"ussd_phone_{reason.value}"
    on_ussd = TEXTS[language].get(ussd_key, TEXTS[language][f"phone_{reason.value}"])
    assert phone_rule_text(language, error, ussd=True) == on_ussd


@pytest.mark.parametrize("language", LANGUAGE_LIST)
def test_sorry_is_the_catalogues(language: Language) -> None:
    assert sorry_text(language) == TEXTS[language]["something_went_wrong"]


def test_the_list_button_says_choose() -> None:
    assert list_button_label("en") == "Choose"
    assert list_button_label("sw") == "Chagua"


@pytest.mark.parametrize("language", LANGUAGE_LIST)
def test_check_your_phone_is_the_chats_in_the_readers_language(language: Language) -> None:
    payment = Payment(
        id=1,
        order_reference="WW-1042",
        customer_id=None,
        channel=Channel.TELEGRAM,
        chat_key="1",
        amount=1500,
        phone="254712345678",
        status=PaymentStatus.PENDING,
        created_at=datetime(2026, 12, 5, tzinfo=UTC),
        language="sw" if language == "en" else "en",
    )
    text = push_sent_text(language, payment, phone="0712 345 678")
    assert text == t(language, "push_sent", amount=1500, order="WW-1042")
    own = push_sent_text(payment.language, payment, phone="0712 345 678")
    assert own == push_sent_reply(payment).text
