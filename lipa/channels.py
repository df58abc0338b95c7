"""Which channels a configuration turns on, and where staff notices go without Telegram.

Every channel is optional: Telegram (``TELEGRAM_BOT_TOKEN``), USSD (``AT_API_KEY``, whose SMS
tell USSD customers their outcomes), WhatsApp (``WHATSAPP_ACCESS_TOKEN``,
``WHATSAPP_PHONE_NUMBER_ID``, ``WHATSAPP_APP_SECRET``, ``WHATSAPP_VERIFY_TOKEN``) and the orders
API (``API_TOKEN``). A service needs at least one of them, since customers reach it through
nothing else.

Staff notices go to ``STAFF_CHAT_ID`` in Telegram. Without Telegram they are queued in the
outbox all the same, for the ``log`` channel, and delivered as one log line each: they are
written with the payment they describe, kept in order and on record in the outbox, and read
where the operator reads the service's logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from checkout.domain.records import Channel, StaffChat
from checkout.domain.replies import reply_from_payload
from lipa.settings import MissingSetting, Settings, TelegramMode, is_placeholder

log = logging.getLogger(__name__)

# The one "chat" of the log channel: the staff as a whole.
STAFF_LOG_CHAT = "staff"


class NoCustomerChannel(MissingSetting):
    """The configuration turns on no channel a customer could pay through.

    A missing setting like any other (``lipa`` says it in one line), though any one of
    several would do.
    """

    def __init__(self) -> None:
        purpose = "a channel customers pay through"
        Exception.__init__(
            self,
            "no customer channel is on: set TELEGRAM_BOT_TOKEN (Telegram), AT_USERNAME and "
            "AT_API_KEY (USSD), the WHATSAPP_* settings (WhatsApp), WEB_CHECKOUT_ENABLED=true (the "
            "payment page), or API_TOKEN (the orders API)",
        )
        self.variable = "TELEGRAM_BOT_TOKEN"
        self.purpose = purpose


@dataclass(frozen=True, slots=True)
class Channels:
    """The customer channels a configuration turns on."""

    telegram: bool
    ussd: bool
    orders_api: bool
    telegram_mode: TelegramMode = TelegramMode.POLLING
    whatsapp: bool = False
    web: bool = False  # the payment link page, /pay/<reference>

    @property
    def any_customer_channel(self) -> bool:
        """Whether a customer can reach the service at all."""
        return self.telegram or self.ussd or self.orders_api or self.whatsapp or self.web

    def describe(self) -> str:
        """One line for the start of ``lipa serve``: each channel on or off, and the staff's."""

        def state(on: bool) -> str:
            return "on" if on else "off"

        telegram = f"on ({self.telegram_mode.value})" if self.telegram else "off"
        staff = "Telegram" if self.telegram else "the log (Telegram is off)"
        return (
            f"channels: Telegram {telegram}, USSD {state(self.ussd)}, "
            f"WhatsApp {state(self.whatsapp)}, web {state(self.web)}, "
            f"orders API {state(self.orders_api)}; "
            f"staff notices go to {staff}"
        )


def telegram_enabled(settings: Settings) -> bool:
    """Whether Telegram is on: TELEGRAM_BOT_TOKEN is set and not a placeholder."""
    token = settings.telegram_bot_token
    return token is not None and not is_placeholder(token.get_secret_value())


def channels_on(settings: Settings) -> Channels:
    """The channels ``settings`` turn on."""
    return Channels(
        telegram=telegram_enabled(settings),
        ussd=settings.sms_enabled,
        orders_api=settings.api_token_value is not None,
        telegram_mode=settings.telegram_mode,
        whatsapp=settings.whatsapp_enabled,
        web=settings.web_checkout_enabled,
    )


def staff_chat(settings: Settings) -> StaffChat | None:
    """Where staff notices go: STAFF_CHAT_ID in Telegram, the log without Telegram.

    With Telegram on and no STAFF_CHAT_ID the staff asked for no notices: None. Notices to a
    staff user's private chat show whole numbers when STAFF_SEE_FULL_PHONES is on and follow
    that user's own language; the log's and a group's stay masked, in DEFAULT_LANGUAGE.
    """
    language = settings.default_language
    if not telegram_enabled(settings):
        return StaffChat(STAFF_LOG_CHAT, channel=Channel.LOG, language=language)
    if settings.staff_chat_id is None:
        return None
    # STAFF_CHAT_ID naming a staff user is that user's private chat with the bot (a group's id
    # is negative, never a user's):
    # a staff user's own chat may show whole numbers (STAFF_SEE_FULL_PHONES).
    private = settings.staff_chat_id in settings.staff_user_ids
    full = private and settings.staff_see_full_phones
    # A staff user's own chat reads notices in that user's language (their /lugha).
    reader = settings.staff_chat_id if private else None
    return StaffChat(
        str(settings.staff_chat_id), language=language, full_phones=full, user_id=reader
    )


class StaffLogSender:
    """Implements ``checkout.outbox.ports.MessageSender`` for the log channel: one log line a
    message.

    A notice's lines, or a digest's notices (one line each, as in Telegram), are joined with
    " | " so a log line holds one message. Phones in the notices are masked already (and the
    log's redactor masks any that are not).
    """

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Write the message to the log."""
        text = reply_from_payload(payload).text
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        log.info("staff notice: %s", " | ".join(lines))
