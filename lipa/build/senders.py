"""One outbox sender per channel, from the settings (WhatsApp's is built with its channel)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from telegram.ext import Application

from bot.application import build_application
from bot.request import StatusHook
from checkout.domain.records import Channel
from checkout.domain.time import Clock
from checkout.outbox.ports import MessageSender
from checkout.platform.events import EventPublisher
from daraja.aiohttp_transport import AiohttpForms
from daraja.transport import cheap_forms
from lipa.channels import StaffLogSender
from lipa.settings import Settings, require
from sms import AfricasTalkingSms, SmsConfig, SmsSender, build_sms_http_client
from sms.client import DEFAULT_TIMEOUT as SMS_TIMEOUT
from web.live import PaymentWatch, WebNotices
from webhook.events import EventWebhookSender

# Each event POST to the platform; a slow receiver is retried later rather than waited for.
EVENT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ChannelSenders:
    """The senders, and the parts of them other components share."""

    senders: Mapping[Channel, MessageSender]
    events: EventPublisher | None  # EVENT_WEBHOOK_URLS: the platform's events
    web_watch: PaymentWatch | None  # WEB_CHECKOUT_ENABLED: its pages' wake-ups


def channel_senders(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    given: Mapping[Channel, MessageSender] | None,
    clock: Clock,
    text_mark: str,
) -> ChannelSenders:
    """The ``given`` senders (Telegram's, or tests'), plus those the settings turn on for the
    channels ``given`` has no sender for; their HTTP clients are closed by ``stack``."""
    senders: dict[Channel, MessageSender] = dict(given or {})
    events = None
    if settings.event_webhook_urls:
        events = EventPublisher(settings.event_webhook_urls, clock=clock)
        if Channel.EVENTS not in senders:
            senders[Channel.EVENTS] = event_sender(settings, stack)
    if settings.sms_enabled:
        senders.setdefault(Channel.USSD, sms_sender(settings, stack, mark=text_mark))
    # Without Telegram, staff notices are delivered to the log (see lipa.channels).
    senders.setdefault(Channel.LOG, StaffLogSender())
    web_watch = None
    if settings.web_checkout_enabled:
        # A web payment's outcome is read by its page; delivering it wakes the page.
        web_watch = PaymentWatch()
        senders.setdefault(Channel.WEB, WebNotices(web_watch))
    return ChannelSenders(senders, events, web_watch)


def telegram_application(
    settings: Settings,
    *,
    polling: bool,
    overall_max_rate: int,
    on_status: StatusHook | None,
    text_mark: str,
) -> Application:  # type: ignore[type-arg]
    """The bot the settings name (``TELEGRAM_BOT_TOKEN`` at ``TELEGRAM_API_BASE_URL``),
    pacing its sends at ``overall_max_rate`` a second: the server's, or the outbox process's."""
    return build_application(
        require(settings, "telegram_bot_token", "the Telegram bot's token"),
        base_url=settings.telegram_api_base_url,
        polling=polling,
        on_status=on_status,
        overall_max_rate=overall_max_rate,
        text_mark=text_mark,
    )


def event_sender(settings: Settings, stack: contextlib.AsyncExitStack) -> EventWebhookSender:
    """The platform's event webhooks' sender, on an HTTP client ``stack`` closes."""
    hooks = httpx.AsyncClient(timeout=httpx.Timeout(EVENT_TIMEOUT_SECONDS))
    stack.push_async_callback(hooks.aclose)
    return EventWebhookSender(
        hooks,
        require(settings, "event_webhook_secret", "the secret that signs events"),
        settings.event_webhook_urls,
    )


def sms_sender(
    settings: Settings, stack: contextlib.AsyncExitStack, *, mark: str = ""
) -> SmsSender:
    """The SMS sender for USSD customers, on an HTTP client ``stack`` closes.

    ``mark`` starts every SMS (``[SIMULATED] `` when ``lipa serve`` runs on the simulator).
    The client posts through aiohttp's keep-alive pool, as Daraja's does (httpx's own transport
    cost the outbox 43 % of the event loop's busy time in the whole-service benchmark), unless
    ``DARAJA_HTTP_TRANSPORT=httpx`` or a proxy is configured: then through httpx's client."""
    # Each SMS is one form POST: the aiohttp pool posts it without httpx's client, whose
    # per-request work cost as much CPU as the request (benchmark 5, session 8).
    http: AiohttpForms | httpx.AsyncClient = cheap_forms(
        settings.at_api_base_url,
        settings.daraja_http_transport,
        timeout=SMS_TIMEOUT,
        headers={"Accept": "application/json"},
    ) or build_sms_http_client(settings.at_api_base_url)
    stack.push_async_callback(http.aclose)
    config = SmsConfig(
        username=require(settings, "at_username", "the Africa's Talking username for SMS"),
        api_key=require(settings, "at_api_key", "the Africa's Talking API key for SMS"),
        sender_id=settings.at_sender_id or None,
    )
    return SmsSender(AfricasTalkingSms(http, config), mark=mark)
