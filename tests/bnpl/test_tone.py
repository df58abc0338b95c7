"""Plan messages never threaten, in English or Swahili, and disclose before acceptance."""

from __future__ import annotations

import re
from datetime import date

import pytest

from checkout.conversation.model import ButtonPressed, Command
from checkout.domain.records import LANGUAGES, Language
from checkout.i18n.catalogue.plans import PLAN_EN, PLAN_SW
from checkout.i18n.texts import TEXTS
from tests.bnpl.conftest import Shop, nairobi, offer, take_plan

# Words of debt collectors: legal action, the police, credit bureau listing, shame, urgency.
FORBIDDEN: dict[Language, tuple[str, ...]] = {
    "en": (
        "legal",
        "court",
        "lawyer",
        "police",
        "arrest",
        "jail",
        "sue",
        "crb",
        "blacklist",
        "credit bureau",
        "penalt",
        "debt collector",
        "consequences",
        "final warning",
        "failure to pay",
        "immediately",
        "must pay",
        "shame",
        "defaulter",
    ),
    "sw": (
        "mahakama",
        "kisheria",
        "wakili",
        "polisi",
        "kukamatwa",
        "jela",
        "kushtakiwa",
        "crb",
        "orodha nyeusi",
        "adhabu",
        "onyo la mwisho",
        "lazima ulipe",
        "aibu",
        "mdaiwa sugu",
    ),
}
PLAN_TEXTS = [("en", key, text) for key, text in PLAN_EN.items()] + [
    ("sw", key, text) for key, text in PLAN_SW.items()
]


def threats(language: Language, text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in FORBIDDEN[language] if re.search(rf"\b{re.escape(word)}", lowered)]


@pytest.mark.parametrize(("language", "key", "text"), PLAN_TEXTS, ids=lambda v: str(v)[:30])
def test_no_plan_text_threatens(language: Language, key: str, text: str) -> None:
    assert threats(language, text) == [], key


def test_the_check_catches_a_threat() -> None:
    assert threats("en", "Pay immediately or we take legal action.") == ["legal", "immediately"]
    assert threats("sw", "Lipa sasa au utapelekwa mahakama.") == ["mahakama"]


def test_every_plan_text_is_in_both_languages() -> None:
    assert set(PLAN_EN) == set(PLAN_SW)
    for language in LANGUAGES:
        assert set(PLAN_EN) <= set(TEXTS[language])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_messages_of_a_plan_that_goes_overdue_never_threaten(
    shop: Shop, language: Language
) -> None:
    await shop.say(Command("lugha"), ButtonPressed(f"lang:{language}"))
    await take_plan(shop, 2)
    await shop.collect(nairobi(date(2026, 12, 4)))
    await shop.collect(nairobi(date(2026, 12, 5)))
    await shop.settle_last(1)
    for day in (6, 7, 8):
        await shop.collect(nairobi(date(2026, 12, day)))
        await shop.settle_last(1)
    messages = await shop.messages()
    texts = [str(message["text"]) for message in messages]
    assert len(texts) >= 8
    for text in texts:
        assert threats(language, text) == [], text


async def test_the_offer_discloses_the_cost_and_every_date_before_acceptance(shop: Shop) -> None:
    reply = await offer(shop)
    assert "no interest" in reply.text
    assert "There is no late fee." in reply.text
    for day in ("05/12", "12/12", "19/12", "26/12"):
        assert day in reply.text
    assert reply.text.count("Total: KES 3,000") == 3
