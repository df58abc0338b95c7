"""Staff call customers back by name: Telegram's first name in /find, /pending and notices.

Names show only where whole numbers do (a staff user's private chat with STAFF_SEE_FULL_PHONES
on); a group reads neither. Each staff user's /lugha decides the language of the notices to
their own chat too; a group's notices stay in DEFAULT_LANGUAGE.
"""

from __future__ import annotations

import pytest

from checkout.domain.records import NAME_LIMIT, person_name
from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import reach_confirmation, seed

STAFF = 7001
CUSTOMER = 5001  # the customer of reach_confirmation
STAFF_GROUP = -1001


async def start_private(telegram: FakeTelegram, start_service: StartService, url: str) -> Service:
    """Staff notices go to the staff user's own chat with the bot."""
    settings = service_settings(
        telegram, url, mode="polling", staff_user_ids=[STAFF], staff_chat_id=STAFF
    )
    service = await start_service(settings)
    await seed(service)
    return service


async def customer_named(telegram: FakeTelegram, name: str) -> None:
    """The customer opens the bot under ``name`` (Telegram's first name)."""
    await telegram.user_sends_command(CUSTOMER, "start", first_name=name)
    await telegram.wait_for_message_to(CUSTOMER, "Wildwash")


async def staff_command(telegram: FakeTelegram, text: str, *, chat: int | None = None) -> str:
    start = len(telegram.sent)
    name, _, argument = text.partition(" ")
    await telegram.user_sends_command(STAFF, name, argument or None, chat_id=chat)
    target = chat if chat is not None else STAFF
    answer = await telegram.wait_for(lambda m: m.chat_id == target, 15, start=start)
    return str(answer.body)


def test_a_name_is_cleaned_of_control_characters_and_capped() -> None:
    assert person_name("  Wanjiku \n Mwangi ") == "Wanjiku Mwangi"
    assert person_name("Wanji\u202eku\u200b\x07") == "Wanjiku"  # overrides, zero-width, bell
    assert person_name("<b>Amina</b> & co") == "<b>Amina</b> & co"  # plain text: kept as typed
    assert person_name("N" * 200) == "N" * NAME_LIMIT
    assert person_name("J*** D***") is None  # M-Pesa's masked name is no name
    assert person_name("Amina *") == "Amina *"  # a star of their own is kept
    assert person_name("\u200b \n") is None
    assert person_name(None) is None


async def test_a_cancelled_prompt_is_told_by_name_with_the_whole_number_in_private(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_private(telegram, start_service, sqlite_url)
    await customer_named(telegram, "Wanjiku")
    await reach_confirmation(telegram, "0700000002")  # the simulator's phone that cancels
    await telegram.user_presses_button(CUSTOMER, "pay")

    notice = await telegram.wait_for_message_to(STAFF, "WW-1042", timeout=10)
    assert notice.text == (
        "Wanjiku (0700 000 002) cancelled the KES 1,500 prompt for WW-1042 on the phone."
    )
    found = await staff_command(telegram, "/find WW-1042")
    assert "Wanjiku (0700 000 002)" in found


async def test_a_staff_user_who_chose_swahili_reads_their_notices_in_swahili(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_private(telegram, start_service, sqlite_url)
    assert "Kiswahili" in await staff_command(telegram, "/lugha sw")
    await customer_named(telegram, "Wanjiku")
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")

    notice = await telegram.wait_for_message_to(STAFF, "WW-1042", timeout=10)
    assert notice.text.startswith("Wanjiku (0712 345 678) amelipa KES 1,500 kwa WW-1042")
    assert "Oda sasa imelipwa yote (KES 1,500)." in notice.text
    # The customer's own texts stay in the customer's language.
    paid = await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    assert "fully paid" in paid.text


async def test_a_group_reads_no_name_and_its_notices_stay_in_the_default_language(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF])
    service = await start_service(settings)
    await seed(service)
    assert "Kiswahili" in await staff_command(telegram, "/lugha sw")  # a choice of one user
    await customer_named(telegram, "Wanjiku")
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")

    notice = await telegram.wait_for_message_to(STAFF_GROUP, "WW-1042", timeout=10)
    assert notice.text.startswith("2547****5678 paid KES 1,500 for WW-1042")
    assert "Wanjiku" not in notice.text
    in_group = await staff_command(telegram, "/find WW-1042", chat=STAFF_GROUP)
    assert "2547****5678" in in_group
    assert "Wanjiku" not in in_group
    in_private = await staff_command(telegram, "/find WW-1042")
    assert "Wanjiku (0712 345 678)" in in_private


async def test_pending_names_the_customer_whose_prompt_is_waiting(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF], staff_chat_id=STAFF
    )
    # M-Pesa's answer comes long after the test: the prompt stays pending throughout.
    service = await start_service(settings, simulator=SimulatorSettings(callback_delay=300))
    await seed(service)
    await customer_named(telegram, "Akinyi")
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "PIN")

    pending = await staff_command(telegram, "/pending")
    assert "KES 1,500, order WW-1042, Akinyi (0712 345 678)" in pending


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Wan\njiku\u202e", "Wan jiku"),  # a line break and a direction override are dropped
        ("<i>Amina</i>", "<i>Amina</i>"),  # sent as plain text: shown as typed, never markup
    ],
)
async def test_a_name_is_shown_as_plain_text_on_one_line(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, typed: str, shown: str
) -> None:
    await start_private(telegram, start_service, sqlite_url)
    await customer_named(telegram, typed)
    await reach_confirmation(telegram, "0700000002")
    await telegram.user_presses_button(CUSTOMER, "pay")

    notice = await telegram.wait_for_message_to(STAFF, "WW-1042", timeout=10)
    assert notice.text.startswith(f"{shown} (0700 000 002) cancelled")
    assert notice.parse_mode is None


async def test_pending_shows_the_whole_number_of_a_customer_told_to_pay_by_paybill(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_private(telegram, start_service, sqlite_url)
    await reach_confirmation(telegram, "0700000004")  # the simulator's phone that never answers
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "Not paid", timeout=10)

    pending = await staff_command(telegram, "/pending")
    assert "WW-1042: KES 1,500 left, 0700 000 004, told" in pending
