"""Sending a text message without building the ``Message`` Telegram answers with.

``Bot.send_message`` turns every answer into a ``telegram.Message`` (with its chat, sender and
keyboard objects): about 0.2 ms of CPU a send on a small machine, a tenth of a checkout's CPU
over its six or so messages, for an object nothing here reads. The same Bot API method through
``Bot.do_api_request`` goes through the same request layer and rate limiter, raises the same
errors, and returns the answer as it came.
"""

from __future__ import annotations

import warnings

from telegram import Bot
from telegram.warnings import PTBUserWarning

from bot.rendering import Markup

SEND_MESSAGE = "sendMessage"

# PTB asks callers of do_api_request to prefer the typed method; here that is deliberate.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.sendMessage' instead of", category=PTBUserWarning
)


async def send_text(bot: Bot, chat_id: int | str, text: str, markup: Markup | None = None) -> None:
    """Send ``text`` (with ``markup``, if any) to ``chat_id``; Telegram's errors propagate."""
    api_kwargs: dict[str, object] = {"chat_id": chat_id, "text": text}
    if markup is not None:
        api_kwargs["reply_markup"] = markup
    await bot.do_api_request(SEND_MESSAGE, api_kwargs=api_kwargs)
