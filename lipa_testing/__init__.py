"""Local fakes of the outside services Lipa talks to, for tests and benchmarks."""

from .telegram_api import (
    CONFIGURED_SECRET,
    DEFAULT_TOKEN,
    OUTGOING_METHODS,
    RATE_LIMITED_METHODS,
    AnsweredCallbackQuery,
    ChatActionRecord,
    FakeTelegram,
    InjectedUpdate,
    RateLimits,
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
