"""Building the python-telegram-bot application for polling or for our own webhook route."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.pacing import OVERALL_PER_SECOND, ChatPacer
from bot.request import AiohttpRequest, StatusHook


def build_application(
    token: str,
    *,
    base_url: str,
    polling: bool,
    connect_timeout: float = 10.0,
    read_timeout: float = 15.0,
    connection_pool_size: int = 64,
    on_status: StatusHook | None = None,
    overall_max_rate: int = OVERALL_PER_SECOND,
    text_mark: str = "",
) -> Application:  # type: ignore[type-arg]
    """A PTB application talking to ``base_url`` (the token is appended), rate-limited.

    In webhook mode it has no updater: our aiohttp server receives updates and passes them
    to :func:`feed_update`. ``on_status`` is told the HTTP status of every Bot API answer.
    Sends are paced by :class:`bot.pacing.ChatPacer`: a message a second per private chat,
    20 a minute per group, ``overall_max_rate`` a second in all. ``text_mark`` starts every
    text and caption sent (see :class:`AiohttpRequest`).
    """
    request = AiohttpRequest(
        connection_pool_size=connection_pool_size,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        pool_timeout=read_timeout,
        on_status=on_status,
        text_mark=text_mark,
    )
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .request(request)
        .get_updates_request(
            AiohttpRequest(
                connection_pool_size=1,
                connect_timeout=connect_timeout,
                read_timeout=40.0,
                on_status=on_status,
            )
        )
        .rate_limiter(ChatPacer(overall_per_second=overall_max_rate))
        .concurrent_updates(True)
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


async def feed_update(application: Application, data: dict[str, Any]) -> None:  # type: ignore[type-arg]
    """Queue an update received on our webhook for the application to process."""
    update = Update.de_json(data, application.bot)
    await application.update_queue.put(update)
