"""What users do, injected as updates: send text, commands and contacts, press inline buttons.

Each update gets the next ``update_id`` and is queued for ``getUpdates`` or POSTed to the
webhook (`inject`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, Final

from lipa_testing.telegram_api.params import _utf16_len
from lipa_testing.telegram_api.records import InjectedUpdate, JSONDict
from lipa_testing.telegram_api.state import _UserProfile
from lipa_testing.telegram_api.webhook import _Webhook

_BOT_COMMAND_IN_TEXT: Final = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


class _Users(_Webhook):
    """Injecting updates from users."""

    def _remember_user(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        known = self._users.get(user_id)
        profile = _UserProfile(
            first_name=first_name or (known.first_name if known else "Amina"),
            last_name=last_name if last_name is not None else (known.last_name if known else None),
            username=username if username is not None else (known.username if known else None),
            language_code=language_code
            if language_code is not None
            else (known.language_code if known else "en"),
        )
        self._users[user_id] = profile
        return self._user_object(user_id)

    def _user_message(self, user: JSONDict, chat_id: int | None, content: JSONDict) -> JSONDict:
        chat = chat_id if chat_id is not None else int(user["id"])
        self._known_chats.add(chat)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": self._chat_object(chat),
            "date": int(time.time()),
            **content,
        }
        self._store_message(message)
        return message

    async def inject(self, update: Mapping[str, Any]) -> InjectedUpdate:
        """Assign the next ``update_id`` to ``update`` and deliver it.

        Polling mode: queue it for ``getUpdates`` and wake a pending long poll. Webhook mode:
        POST it to the webhook (with the secret header if one was set) and report the status;
        a failed delivery is recorded (``getWebhookInfo.last_error_message``) but not retried
        nor queued: re-post it with `deliver_to_webhook` to model Telegram's retries. Updates
        of types outside ``allowed_updates`` are dropped, as Telegram does.
        """
        update_id = next(self._update_ids)
        full: JSONDict = {"update_id": update_id, **update}
        if self.webhook is not None:
            if not self._is_allowed(full):
                return InjectedUpdate(update_id, full)
            delivery = await self._post_to_webhook(full, self.webhook.secret_token)
            return InjectedUpdate(update_id, full, delivery.status, delivery.error)
        self._updates.append((update_id, full))
        self._wake_pollers()
        return InjectedUpdate(update_id, full)

    async def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> InjectedUpdate:
        """The user sends ``text`` (in their private chat unless ``chat_id`` is given).

        ``/commands`` in the text get ``bot_command`` entities, as Telegram adds them. The
        user's profile (names, username, language) is remembered for later updates.
        """
        user = self._remember_user(user_id, first_name, last_name, username, language_code)
        content: JSONDict = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
            for match in _BOT_COMMAND_IN_TEXT.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        chat = chat_id if chat_id is not None else user_id
        keyboard = self._reply_keyboards.get(chat)
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            texts = {
                b if isinstance(b, str) else b.get("text") for r in keyboard["keyboard"] for b in r
            }
            if text in texts:  # the user pressed one of its buttons: Telegram hides it
                self._reply_keyboards.pop(chat, None)
        return await self.inject({"message": self._user_message(user, chat_id, content)})

    async def user_sends_command(
        self,
        user_id: int,
        command: str,
        payload: str | None = None,
        *,
        chat_id: int | None = None,
        mention_bot: bool = False,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> InjectedUpdate:
        """The user sends ``/command [payload]``, e.g. ``("start", "pay_WW-1042")`` for a deep
        link. ``mention_bot`` writes ``/command@bot_username`` as in groups.
        """
        text = "/" + command.removeprefix("/")
        if mention_bot:
            text += f"@{self.bot_username}"
        if payload:
            text += f" {payload}"
        return await self.user_sends_text(
            user_id,
            text,
            chat_id=chat_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    async def user_shares_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        omit_contact_user_id: bool = False,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> InjectedUpdate:
        """The user shares a contact, as a ``request_contact`` button does.

        ``contact.user_id`` is ``contact_user_id`` (default: the sender, i.e. their own number);
        ``omit_contact_user_id`` leaves it out, as for a contact not on Telegram. The number is
        passed through unchanged (Telegram clients send it with or without ``+``). A one-time
        reply keyboard is hidden afterwards.
        """
        user = self._remember_user(user_id, first_name, last_name, None, None)
        contact: JSONDict = {"phone_number": phone_number, "first_name": user["first_name"]}
        if "last_name" in user:
            contact["last_name"] = user["last_name"]
        if not omit_contact_user_id:
            contact["user_id"] = contact_user_id if contact_user_id is not None else user_id
        chat = chat_id if chat_id is not None else user_id
        keyboard = self._reply_keyboards.get(chat)
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            self._reply_keyboards.pop(chat, None)
        return await self.inject(
            {"message": self._user_message(user, chat_id, {"contact": contact})}
        )

    async def user_presses_button(
        self,
        user_id: int,
        callback_data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        first_name: str | None = None,
    ) -> InjectedUpdate:
        """The user presses an inline button: a ``callback_query`` carrying its message.

        Without ``message_id`` the latest bot message in the chat offering a button with this
        ``callback_data`` is used, and `LookupError` is raised when there is none (the bot did
        not offer it). With ``message_id`` that message is used even if its keyboard has no such
        button (a stale or forged press); an unknown id gets a minimal bot message.
        """
        user = self._remember_user(user_id, first_name, None, None, None)
        chat = chat_id if chat_id is not None else user_id
        message: JSONDict | None
        if message_id is None:
            message = self._find_button_message(chat, callback_data)
            if message is None:
                raise LookupError(
                    f"no bot message in chat {chat} offers a button with "
                    f"callback_data={callback_data!r}"
                )
        else:
            message = self._messages.get((chat, message_id))
            if message is None:
                message = {
                    "message_id": message_id,
                    "from": self._bot_sender(),
                    "chat": self._chat_object(chat),
                    "date": int(time.time()),
                    "text": "…",
                }
                self._store_message(message)
        query_id = str(next(self._callback_ids))
        self._open_queries.add(query_id)
        query: JSONDict = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(-((chat * 2_654_435_761) % 10**19)),
            "data": callback_data,
        }
        return await self.inject({"callback_query": query})

    def _find_button_message(self, chat_id: int, callback_data: str) -> JSONDict | None:
        for message_id in reversed(self._chat_messages.get(chat_id, [])):
            message = self._messages.get((chat_id, message_id))
            if message is None or message.get("from", {}).get("id") != self.bot_id:
                continue
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if any(b.get("callback_data") == callback_data for row in rows for b in row):
                return message
        return None
