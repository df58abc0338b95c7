"""A local fake of the Telegram Bot API, for tests and benchmarks.

`FakeTelegram` is a small aiohttp server that python-telegram-bot (PTB) talks to when its
``base_url`` points at it. Requests arrive as ``POST {base}/bot<TOKEN>/<method>`` with a JSON,
``application/x-www-form-urlencoded`` or ``multipart/form-data`` body (PTB's ``HTTPXRequest``
sends form data whose values are JSON-encoded strings, and multipart when it uploads files); query
string parameters are accepted too, like on the real server. Method names are case-insensitive.

Answers follow the Bot API: ``{"ok": true, "result": ...}`` with realistic objects, and
``{"ok": false, "error_code": ..., "description": ..., "parameters": {"retry_after": N}}`` for
errors. What the bot sends is recorded (`FakeTelegram.sent`), updates from "users" are injected
with helpers (``user_sends_text`` and friends) and delivered by ``getUpdates`` or POSTed to the
webhook, and faults (5xx, 429 flood control, outages, Telegram's rate limits) can be injected.

The server does no per-request sleeping: apart from ``getUpdates`` long polling (capped by
``max_poll_timeout``) every request is answered as soon as it is parsed, so benchmarks can push
thousands of requests per second through it.

Where things are. Plain values and helpers:

- `records`: what tests read (`SentMessage`, `AnsweredCallbackQuery`, `WebhookConfig`, ...) and
  the constants they pass (`DEFAULT_TOKEN`, `OUTGOING_METHODS`, `CONFIGURED_SECRET`);
- `rate_limits`: `RateLimits` and its sliding windows;
- `params`: reading a request's parameters, and the error answers (`_ApiError`);
- `formatting`: HTML, MarkdownV2 and Markdown parsed to the text a user sees.

`FakeTelegram` (in `fake`) is built in layers, each a class in its own module adding one concern
to the layer below it, from the bottom up:

- `state`: configuration and state, and the Bot API objects (users, chats, the bot) built from it;
- `recording`: reading and awaiting what the bot sent (`sent_to`, `wait_for`, ...);
- `faults`: injected errors, floods, outages, blocked users, and the enforced rate limits;
- `messages`: ``sendMessage`` and the edits, and the checks every send shares;
- `files`: ``sendPhoto``, ``sendDocument`` and ``getFile``;
- `callbacks`: ``answerCallbackQuery`` and ``sendChatAction``;
- `bot_account`: ``getMe``, ``close``, ``logOut`` and the command menus;
- `updates`: the ``getUpdates`` queue and the webhook's settings;
- `server`: the aiohttp server, its routes and lifecycle, and how every request is answered;
- `webhook`: POSTing updates to the webhook;
- `users`: updates injected from users (``user_sends_text``, ``user_presses_button``, ...);
- `fake`: `FakeTelegram` itself, with `reset`.
"""

from lipa_testing.telegram_api.fake import FakeTelegram
from lipa_testing.telegram_api.rate_limits import RateLimits
from lipa_testing.telegram_api.records import (
    CONFIGURED_SECRET,
    DEFAULT_TOKEN,
    OUTGOING_METHODS,
    RATE_LIMITED_METHODS,
    AnsweredCallbackQuery,
    ChatActionRecord,
    InjectedUpdate,
    SentMessage,
    WebhookConfig,
    WebhookDelivery,
)

__all__ = [
    "CONFIGURED_SECRET",
    "DEFAULT_TOKEN",
    "OUTGOING_METHODS",
    "RATE_LIMITED_METHODS",
    "AnsweredCallbackQuery",
    "ChatActionRecord",
    "FakeTelegram",
    "InjectedUpdate",
    "RateLimits",
    "SentMessage",
    "WebhookConfig",
    "WebhookDelivery",
]
