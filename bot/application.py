"""Building the python-telegram-bot application for polling or for our own webhook route."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.request import AiohttpRequest, StatusHook

# Telegram allows about 30 messages a second per bot, 1 a second per private chat and
# 20 a minute per group; PTB's limiter spaces our sends accordingly.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20


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
    Sends are spaced to ``overall_max_rate`` a second in all (groups: 20 a minute each).
    ``text_mark`` starts every text and caption sent (see :class:`AiohttpRequest`).
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
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=overall_max_rate,
                overall_time_period=1,
                group_max_rate=GROUP_PER_MINUTE,
                group_time_period=60,
                max_retries=0,
            )
        )
        .concurrent_updates(True)
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


async def feed_update(application: Application, data: dict[str, Any]) -> None:  # type: ignore[type-arg]
    """Queue an update received on our webhook for the application to process."""
    update = Update.de_json(data, application.bot)
    await application.update_queue.put(update)
