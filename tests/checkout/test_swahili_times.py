"""Times of day in Swahili count the hours from dawn and dusk and name the part of the day."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from checkout.bnpl.rules import PlanRules
from checkout.bnpl.views.plans import hour_text
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.i18n.payments.messages import history_line
from checkout.i18n.texts import t
from checkout.i18n.times import clock_time, part_of_day, swahili_time


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (time(7, 0), "saa moja asubuhi (07:00)"),
        (time(10, 0), "saa nne asubuhi (10:00)"),
        (time(13, 0), "saa saba mchana (13:00)"),
        (time(19, 0), "saa moja jioni (19:00)"),
        (time(22, 0), "saa nne usiku (22:00)"),
        (time(6, 0), "saa kumi na mbili asubuhi (06:00)"),
        (time(12, 0), "saa sita mchana (12:00)"),
        (time(0, 0), "saa sita usiku (00:00)"),
        (time(16, 0), "saa kumi jioni (16:00)"),
        (time(18, 0), "saa kumi na mbili jioni (18:00)"),
        (time(20, 0), "saa mbili usiku (20:00)"),
        (time(2, 0), "saa nane usiku (02:00)"),
        (time(5, 0), "saa kumi na moja alfajiri (05:00)"),
        (time(17, 0), "saa kumi na moja jioni (17:00)"),
        (time(10, 15), "saa nne na robo asubuhi (10:15)"),
        (time(10, 30), "saa nne na nusu asubuhi (10:30)"),
        (time(10, 45), "saa tano kasorobo asubuhi (10:45)"),
        (time(12, 10), "saa sita na dakika 10 mchana (12:10)"),
        (time(23, 45), "saa sita kasorobo usiku (23:45)"),
    ],
)
def test_swahili_time_names_the_swahili_hour_and_the_part_of_the_day(
    at: time, expected: str
) -> None:
    assert swahili_time(at) == expected


def test_every_hour_of_the_day_has_exactly_one_part_and_they_follow_the_day() -> None:
    parts = [part_of_day(hour) for hour in range(24)]
    assert (
        parts
        == (["usiku"] * 4 + ["alfajiri"] * 2 + ["asubuhi"] * 6 + ["mchana"] * 4 + ["jioni"] * 4)
        + ["usiku"] * 4
    )


def test_english_keeps_the_24_hour_clock() -> None:
    assert clock_time("en", time(10, 0)) == "10:00"
    assert clock_time("en", time(19, 5)) == "19:05"
    assert clock_time("sw", time(19, 5)) == "saa moja na dakika 5 jioni (19:05)"


def test_plan_texts_in_swahili_show_the_collection_hour_in_swahili_time() -> None:
    rules = PlanRules(collection_hour=10)
    assert hour_text("en", rules) == "10:00"
    assert hour_text("sw", rules) == "saa nne asubuhi (10:00)"
    retry = t("sw", "plan_retry_tomorrow", hour=hour_text("sw", rules))
    assert retry == "Tutatuma ombi tena kesho saa nne asubuhi (10:00), au unaweza kulipa sasa."


def test_the_payment_history_in_swahili_shows_swahili_time() -> None:
    payment = Payment(
        id=1,
        order_reference="WW-1042",
        customer_id=None,
        channel=Channel.TELEGRAM,
        chat_key="42",
        amount=1500,
        phone="254712345678",
        status=PaymentStatus.PAID,
        created_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC),  # 19:00 in Nairobi
        receipt_number="NLJ7RT61SV",
    )
    assert "04/12 saa moja jioni (19:00)" in history_line("sw", payment)
    assert "04/12 19:00" in history_line("en", payment)
