"""Staff find their commands (Telegram's command menus, /help) and work in their own language."""

from __future__ import annotations

import json

import pytest

from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.staff.test_staff_commands import CUSTOMER, OTHER_STAFF, STAFF, STAFF_CHAT, command

STAFF_NAMES = ["neworder", "today", "pending", "find", "report", "export"]


def registered(telegram: FakeTelegram, scope: dict[str, object], code: str) -> list[str]:
    """The commands registered with setMyCommands for ``scope`` and language ``code``."""
    key = (json.dumps(scope, sort_keys=True), code)
    return [entry["command"] for entry in telegram.commands.get(key, [])]


def descriptions(telegram: FakeTelegram, scope: dict[str, object], code: str) -> list[str]:
    key = (json.dumps(scope, sort_keys=True), code)
    return [entry["description"] for entry in telegram.commands.get(key, [])]


async def test_start_up_registers_the_customer_menu_and_a_staff_menu_per_staff_chat(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF, OTHER_STAFF]
    )
    await start_service(settings)

    default = {"type": "default"}
    for code in ("", "en"):
        assert registered(telegram, default, code) == [
            "pay",
            "status",
            "history",
            "plans",
            "orders",
            "cancel",
            "language",
            "help",
        ]
    assert registered(telegram, default, "sw")[-2:] == ["lugha", "help"]
    assert "Lipa oda" in descriptions(telegram, default, "sw")
    assert "Pay an order" in descriptions(telegram, default, "")
    for chat in (STAFF, OTHER_STAFF, STAFF_CHAT):
        scope = {"type": "chat", "chat_id": chat}
        assert registered(telegram, scope, "en")[:6] == STAFF_NAMES
        assert registered(telegram, scope, "sw")[:6] == STAFF_NAMES
        assert "lugha" in registered(telegram, scope, "sw")
        assert "Malipo na mapato ya leo" in descriptions(telegram, scope, "sw")
    # A customer's chat gets no staff menu.
    assert registered(telegram, {"type": "chat", "chat_id": CUSTOMER}, "") == []


async def test_without_staff_only_the_customer_menu_is_registered(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    scopes = {json.loads(scope)["type"] for scope, _code in telegram.commands}
    assert scopes == {"default"}


async def test_help_for_staff_lists_the_staff_commands_and_for_customers_does_not(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF])
    await start_service(settings)

    answer = await command(telegram, "/help")
    for name in STAFF_NAMES:
        assert f"/{name} - " in answer.body
    in_group = await command(telegram, "/help", chat=STAFF_CHAT)
    assert "/neworder - " in in_group.body
    customer = await command(telegram, "/help", user=CUSTOMER)
    assert "/neworder" not in customer.body


@pytest.mark.parametrize("name", ["lugha", "language"])
async def test_a_staff_user_who_chooses_swahili_gets_staff_answers_in_swahili(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, name: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF, OTHER_STAFF]
    )
    await start_service(settings)

    assert "Staff answers to you are in English" in (await command(telegram, f"/{name}")).body
    chosen = await command(telegram, f"/{name} sw")
    assert "sasa ni kwa Kiswahili" in chosen.body

    assert "Leo," in (await command(telegram, "/today")).body
    assert "Hakuna malipo yanayosubiri" in (await command(telegram, "/pending")).body
    assert "Matumizi: /find" in (await command(telegram, "/find")).body
    assert "Hakuna mapato" in (await command(telegram, "/report")).body
    assert "Malipo " in (await command(telegram, "/export")).body
    neworder = await command(telegram, "/neworder 1500 Kufua")
    assert "Oda mpya" in neworder.body
    assert "Leo," in (await command(telegram, "/today", chat=STAFF_CHAT)).body

    # The other staff user, and the group when they type there, still read English.
    assert "Today," in (await command(telegram, "/today", user=OTHER_STAFF)).body
    other = await command(telegram, "/today", user=OTHER_STAFF, chat=STAFF_CHAT)
    assert "Today," in other.body

    back = await command(telegram, f"/{name} english")
    assert "now in English" in back.body
    assert "Today," in (await command(telegram, "/today")).body


async def test_an_unknown_language_word_says_how_to_choose(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_service(
        service_settings(telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF])
    )
    assert "Usage: /language en" in (await command(telegram, "/lugha fr")).body


async def test_a_menu_telegram_refuses_is_skipped_and_the_service_still_starts(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # A staff user who never opened a chat with the bot: Telegram says "chat not found".
    telegram.fail_next(2, 400, description="Bad Request: chat not found", methods={"setMyCommands"})
    settings = service_settings(
        telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF, OTHER_STAFF]
    )
    await start_service(settings)
    # Three lists (no language, en, sw) for customers and for each of three staff chats.
    assert telegram.requests_by_method["setMyCommands"] == 12
    assert len(telegram.commands) == 10
    answer = await command(telegram, "/today")
    assert "Today" in answer.body
