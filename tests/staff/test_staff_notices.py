"""Staff notices read like a person wrote them (issue 22): who, what, which order, what is left.

English and Swahili; no "-" for what nobody knows; codes only where Lipa has no words for
them; whole numbers and names only for a staff user's private chat.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from checkout.domain.records import (
    Order,
    PaymentStatus,
    StaffChat,
)
from checkout.i18n import staff_notices as notices
from checkout.i18n.staff_notices import _EN, _SW
from checkout.i18n.texts import placeholders
from checkout.i18n.till import credits as till_texts
from lipa.channels import staff_chat
from lipa.settings import Settings
from tests.staff.examples import paid_order, paid_payment

GROUP = StaffChat("-1001")
GROUP_SW = StaffChat("-1001", language="sw")
PRIVATE = StaffChat("7001", full_phones=True)
NOW = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
PAYMENT = paid_payment(chat_key="42", at=NOW)


def order(paid: int, due: int = 3000) -> Order:
    return paid_order("WW-1042", paid, due)


def test_a_part_payment_says_who_paid_what_with_the_receipt_and_what_is_left() -> None:
    text = notices.settled(GROUP, PAYMENT, order(2500), 1500)
    assert text == "2547****5678 paid KES 1,500 for WW-1042 — receipt QAB12CD3EF. KES 500 left."


def test_the_payment_that_completes_an_order_says_it_is_fully_paid() -> None:
    text = notices.settled(GROUP, PAYMENT, order(3000), 1500)
    assert text.endswith("WW-1042 — receipt QAB12CD3EF. The order is now fully paid (KES 3,000).")
    sw = notices.settled(GROUP_SW, PAYMENT, order(3000), 1500)
    assert sw == (
        "2547****5678 amelipa KES 1,500 kwa WW-1042 — risiti QAB12CD3EF. "
        "Oda sasa imelipwa yote (KES 3,000)."
    )


def test_a_private_staff_chat_sees_the_whole_number_and_the_name() -> None:
    text = notices.settled(PRIVATE, PAYMENT, order(2500), 1500, name="Wanjiku")
    assert text.startswith("Wanjiku (0712 345 678) paid KES 1,500 for WW-1042")
    # The group never sees the name nor the whole number.
    masked = notices.settled(GROUP, PAYMENT, order(2500), 1500, name="Wanjiku")
    assert "Wanjiku" not in masked
    assert "345 678" not in masked


def test_a_cancelled_prompt_is_a_sentence_without_codes_or_dashes() -> None:
    cancelled = replace(
        PAYMENT, status=PaymentStatus.CANCELLED, result_code=1032, receipt_number=None
    )
    text = notices.settled(GROUP, cancelled, order(0), None)
    assert text == "2547****5678 cancelled the KES 1,500 prompt for WW-1042 on the phone."
    sw = notices.settled(GROUP_SW, cancelled, order(0), None)
    assert sw == "2547****5678 alighairi ombi la KES 1,500 la WW-1042 kwenye simu."


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (1, "not enough money on M-Pesa (and no Fuliza)"),
        (1037, "they did not answer the prompt"),
        (2001, "the M-Pesa PIN was wrong"),
        (1001, "their phone was busy with another M-Pesa transaction"),
    ],
)
def test_a_failure_says_why_in_words(code: int, reason: str) -> None:
    failed = replace(PAYMENT, status=PaymentStatus.FAILED, result_code=code, receipt_number=None)
    text = notices.settled(GROUP, failed, order(0), None)
    assert text == f"2547****5678 could not pay KES 1,500 for WW-1042: {reason}."
    assert str(code) not in text.replace("1,500", "").replace("1042", "")


def test_an_unknown_code_is_shown_because_it_helps() -> None:
    failed = replace(
        PAYMENT,
        status=PaymentStatus.FAILED,
        result_code=8006,
        result_description="The initiator is locked",
        receipt_number=None,
    )
    text = notices.settled(GROUP, failed, order(0), None)
    assert 'M-Pesa said no (result code 8006: "The initiator is locked")' in text


def test_an_expired_prompt_and_a_paid_one_without_its_receipt_yet() -> None:
    expired = replace(PAYMENT, status=PaymentStatus.EXPIRED, result_code=None, receipt_number=None)
    assert notices.settled(GROUP, expired, order(0), None) == (
        "2547****5678 did not answer the KES 1,500 prompt for WW-1042 in time. Nothing was paid."
    )
    no_receipt = replace(PAYMENT, receipt_number=None)
    text = notices.settled(GROUP, no_receipt, order(1500), None)
    assert text == (
        "2547****5678 paid KES 1,500 for WW-1042. M-Pesa's receipt follows. KES 1,500 left."
    )
    assert " -" not in text


def test_no_notice_says_dash_for_what_is_unknown() -> None:
    for status in PaymentStatus:
        if status is PaymentStatus.PENDING:
            continue
        bare = replace(PAYMENT, status=status, result_code=None, receipt_number=None)
        for staff in (GROUP, GROUP_SW, PRIVATE):
            text = notices.settled(staff, bare, None, None)
            for dash in (" - ", "-.", "(-"):
                assert dash not in text, text
    assert " -" not in notices.unmatched("en", "ws_CO_1", None, None)
    assert " -" not in notices.misconfigured("en", None)


def test_both_languages_have_the_same_texts_and_placeholders() -> None:
    assert set(_EN) == set(_SW)
    for key in _EN:
        assert placeholders(_EN[key]) == placeholders(_SW[key]), key


class _Till:
    transaction_id = "RKTQDM7W6S"
    amount = 1500
    paid_at = NOW
    account = "WW-1042"
    msisdn = "254712345678"
    payer_name = "WANJIKU"


def test_a_till_credit_says_who_paid_and_when_the_order_is_fully_paid() -> None:
    text = till_texts.staff_credited(GROUP, _Till(), order(3000), "account")
    # A group shows no names (issue 22's rule): only the masked number says who paid.
    assert text == (
        "2547****5678 paid KES 1,500 straight to M-Pesa for WW-1042 — code RKTQDM7W6S "
        "(matched by the account number typed). The order is now fully paid (KES 3,000)."
    )
    private = till_texts.staff_credited(PRIVATE, _Till(), order(2000), "account")
    assert private.startswith("WANJIKU 0712 345 678 paid")
    assert private.endswith("KES 1,000 left.")


def test_notices_to_a_staff_users_private_chat_show_whole_numbers() -> None:
    base = {"_env_file": None, "telegram_bot_token": "123:abc", "staff_user_ids": "7001"}
    private = staff_chat(Settings(**base, staff_chat_id=7001))  # type: ignore[arg-type]
    assert private is not None
    assert private.full_phones
    group = staff_chat(Settings(**base, staff_chat_id=-1001))  # type: ignore[arg-type]
    assert group is not None
    assert not group.full_phones
    off = staff_chat(
        Settings(**base, staff_chat_id=7001, staff_see_full_phones=False)  # type: ignore[arg-type]
    )
    assert off is not None
    assert not off.full_phones
    # The private chat is read by its staff user, in their own language; a group by nobody.
    assert (private.user_id, off.user_id, group.user_id) == (7001, 7001, None)
