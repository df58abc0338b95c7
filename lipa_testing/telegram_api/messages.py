"""The message methods: ``sendMessage``, ``editMessageText`` and ``editMessageReplyMarkup``,
with the checks every send shares (the chat, the keyboard markup, the formatted text's length)
and the recording of what was sent.
"""

from __future__ import annotations

import time
from typing import Any, Final

from lipa_testing.telegram_api.faults import _Faults
from lipa_testing.telegram_api.formatting import _to_plain
from lipa_testing.telegram_api.params import _ApiError, _Params, _utf16_len
from lipa_testing.telegram_api.records import JSONDict, SentMessage

_MAX_TEXT: Final = 4096
_MAX_CALLBACK_DATA: Final = 64
_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)


class _Messages(_Faults):
    """Sending and editing text messages, and what every send shares."""

    def _chat_id(self, params: _Params) -> int:
        raw = params.get_str("chat_id")
        if not raw:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _ApiError(400, "Bad Request: chat not found") from None
        if self.strict_chats and chat_id not in self._known_chats:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _reply_markup(self, params: _Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard markup")
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict) or not button.get("text"):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
                actions = _INLINE_BUTTON_ACTIONS.intersection(button)
                if len(actions) != 1:
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode()
                    if not 1 <= len(data) <= _MAX_CALLBACK_DATA:
                        raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button and not str(button["url"]).startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            return markup
        if inline_only:
            raise _ApiError(400, "Bad Request: inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
            for button in (b for row in rows for b in row):
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not text:
                    raise _ApiError(400, "Bad Request: keyboard button text is empty")
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _apply_reply_keyboard(self, chat_id: int, markup: JSONDict | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            self._reply_keyboards[chat_id] = markup
        elif markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat_id, None)

    def _formatted(
        self, text: str | None, parse_mode: str | None, *, limit: int, what: str
    ) -> str | None:
        if text is None:
            return None
        plain = _to_plain(text, parse_mode)
        if _utf16_len(plain) > limit:
            raise _ApiError(400, f"Bad Request: message {what} is too long")
        return plain

    def _bot_message(self, chat_id: int, content: JSONDict, markup: JSONDict | None) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self._bot_sender(),
            "chat": self._chat_object(chat_id),
            "date": int(time.time()),
            **content,
        }
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        self._store_message(message)
        return message

    def _record(
        self,
        method: str,
        chat_id: int,
        message_id: int,
        params: _Params,
        *,
        text: str | None = None,
        caption: str | None = None,
        plain: str | None = None,
        markup: JSONDict | None = None,
        file: bytes | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        file_ref: str | None = None,
    ) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                caption=caption,
                plain_text=plain,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                file=file,
                filename=filename,
                mime_type=mime_type,
                file_ref=file_ref,
                received_at=time.monotonic(),
                params=params.decoded(),
            )
        )
        self._notify()

    async def _send_message(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        text = params.get_str("text")
        if not text or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        plain = self._formatted(text, params.get_str("parse_mode"), limit=_MAX_TEXT, what="text")
        if not plain or not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        markup = self._reply_markup(params)
        self._check_rate_limits("sendMessage", chat_id)
        message = self._bot_message(chat_id, {"text": plain}, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendMessage", chat_id, message["message_id"], params, text=text, plain=plain,
            markup=markup,
        )  # fmt: skip
        return message

    def _editable(self, params: _Params) -> tuple[int, int, JSONDict] | None:
        """The message an edit targets; ``None`` for inline messages (``inline_message_id``)."""
        if params.present("inline_message_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message_id, message

    async def _edit_message_text(self, params: _Params) -> Any:
        text = params.get_str("text")
        if not text or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        plain = self._formatted(text, params.get_str("parse_mode"), limit=_MAX_TEXT, what="text")
        markup = self._reply_markup(params, inline_only=True)
        target = self._editable(params)
        if target is None:
            return True
        chat_id, message_id, message = target
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == plain and message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        updated = self._edited(chat_id, message_id, {**message, "text": plain}, markup)
        self._record(
            "editMessageText", chat_id, message_id, params, text=text, plain=plain, markup=markup
        )
        return updated

    def _edited(
        self, chat_id: int, message_id: int, message: dict[str, Any], markup: Any
    ) -> dict[str, Any]:
        """Store ``message`` as edited now, carrying ``markup`` (None: no keyboard)."""
        updated = {**message, "edit_date": int(time.time())}
        if markup is None:
            updated.pop("reply_markup", None)
        else:
            updated["reply_markup"] = markup
        self._messages[(chat_id, message_id)] = updated
        return updated

    async def _edit_message_reply_markup(self, params: _Params) -> Any:
        markup = self._reply_markup(params, inline_only=True)
        target = self._editable(params)
        if target is None:
            return True
        chat_id, message_id, message = target
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        updated = self._edited(chat_id, message_id, message, markup)
        self._record(
            "editMessageReplyMarkup", chat_id, message_id, params,
            plain=updated.get("text") or updated.get("caption"), markup=markup,
        )  # fmt: skip
        return updated
