"""The command menus (``setMyCommands``), registered at start-up.

Customers get their commands in the default scope; each staff user's private chat and the
staff group get the staff commands instead (a chat scope replaces the default there). Each
list is registered without a language code in the business's default language, and with
``en`` and ``sw`` for users whose Telegram speaks either. A menu Telegram refuses (a staff
user who never opened a chat with the bot: "chat not found") is logged and skipped: menus
help people find commands, they never stop payments from starting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from checkout.domain.records import Language
from checkout.i18n.menus import CUSTOMER_COMMANDS, STAFF_COMMANDS, MenuEntry

log = logging.getLogger(__name__)

_LANGUAGES: tuple[Language, ...] = ("en", "sw")


async def register_command_menus(
    bot: Bot,
    *,
    default_language: Language,
    staff_user_ids: Collection[int] = (),
    staff_chat_id: int | None = None,
) -> int:
    """Register the customers' and the staff menus; how many lists Telegram accepted."""
    staff_chats = [*sorted(staff_user_ids)]
    if staff_user_ids and staff_chat_id is not None:
        staff_chats.append(staff_chat_id)
    scopes: list[tuple[BotCommandScope, str, dict[Language, tuple[MenuEntry, ...]]]] = [
        (BotCommandScopeDefault(), "customers", dict(CUSTOMER_COMMANDS))
    ]
    scopes += [
        (BotCommandScopeChat(chat_id), f"staff chat {chat_id}", dict(STAFF_COMMANDS))
        for chat_id in staff_chats
    ]
    # All at once: a slow Telegram delays start-up by one timeout, not one per list.
    results = await asyncio.gather(
        *(
            _set(bot, scope, code, menus[default_language if code is None else code], name)
            for scope, name, menus in scopes
            for code in (None, *_LANGUAGES)
        )
    )
    return sum(results)


async def _set(
    bot: Bot,
    scope: BotCommandScope,
    language_code: str | None,
    entries: Sequence[MenuEntry],
    name: str,
) -> bool:
    commands = [BotCommand(command, description) for command, description in entries]
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)
    except TelegramError as error:
        log.warning("command menu for %s not registered: %s", name, error.message)
        return False
    return True
