"""Answering users without a message: ``answerCallbackQuery`` (an inline button's press) and
``sendChatAction`` ("typing...").
"""

from __future__ import annotations

import time
from typing import Any, Final

from lipa_testing.telegram_api.files import _Files
from lipa_testing.telegram_api.params import _ApiError, _Params
from lipa_testing.telegram_api.records import AnsweredCallbackQuery, ChatActionRecord

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class _Callbacks(_Files):
    """Callback query answers and chat actions."""

    async def _answer_callback_query(self, params: _Params) -> Any:
        query_id = params.get_str("callback_query_id")
        if not query_id or query_id not in self._open_queries:
            raise _ApiError(400, _QUERY_INVALID)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.answered_callback_queries.append(
            AnsweredCallbackQuery(
                callback_query_id=query_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time") or 0,
                received_at=time.monotonic(),
            )
        )
        self._notify()
        return True

    async def _send_chat_action(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        action = params.get_str("action")
        if action not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append(ChatActionRecord(chat_id, action, time.monotonic()))
        self._notify()
        return True
