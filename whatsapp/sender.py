"""The outbox sender for WhatsApp customers, within WhatsApp's rules.

Free-form messages may reach a customer only within 24 hours of their latest message. Inside
the window a message goes out as the chat shows it (buttons and all). Outside it, or when
WhatsApp answers 131047 (its clock is the one that counts), it goes out as an approved
template — ``WHATSAPP_TEMPLATE_REMINDER`` for an installment reminder (a reply with a "Pay
now" plan button), ``WHATSAPP_TEMPLATE_PAYMENT_RESULT`` for anything else — or, without one,
by SMS where SMS is configured; which one is recorded with the message.

WhatsApp's errors: 130429 (throughput) and 131056 (too many to one number) wait and retry;
131026 (undeliverable) and other permanent refusals give up and tell the staff once; an
expired access token (190) tells the staff once and keeps retrying, so nothing is lost while
the operator renews it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from checkout.bnpl.rules import PLAN_PREFIX, Action
from checkout.conversation.model import Reply, reply_from_payload
from checkout.domain.phones import mask_phone
from checkout.domain.records import Channel, Language
from checkout.domain.time import Clock
from checkout.outbox.ports import DeliveryFailed, MessageSender
from whatsapp.client import (
    ACCESS_TOKEN,
    OUTSIDE_WINDOW,
    PAIR_RATE_LIMITED,
    RATE_LIMITED,
    CloudApi,
    WhatsAppError,
    WhatsAppUnavailable,
)
from whatsapp.limits import SERVICE_WINDOW_HOURS
from whatsapp.ports import KIND_OUTBOX, KIND_SMS, KIND_TEMPLATE, StaffAlert, WhatsAppLedger
from whatsapp.rendering import render, template_message
from whatsapp.turns import ChatTurns

log = logging.getLogger(__name__)

# How long an outbox message waits for the replies to the chat's latest message to go first.
TURN_WAIT_SECONDS = 10.0
_REMINDER_DATA = f"{PLAN_PREFIX}{Action.NEXT.value}:"


@dataclass(frozen=True, slots=True)
class Template:
    """An approved message template with one body parameter, and its language code."""

    name: str
    language_code: str


@dataclass(frozen=True, slots=True)
class WhatsAppRules:
    """Templates for outside the window, and how long rate limits make a message wait."""

    payment_result: Template | None = None
    reminder: Template | None = None
    # Seconds before retrying; 0 leaves it to the outbox's own backoff.
    throughput_wait_seconds: float = 0.0
    pair_wait_seconds: float = 60.0
    # Sent this long before the 24 hours end, a message is treated as outside the window.
    window_margin: timedelta = timedelta(minutes=5)


def is_reminder(reply: Reply) -> bool:
    """Whether a reply is an installment reminder (it carries the plan's "Pay now" button)."""
    return any(button.data.startswith(_REMINDER_DATA) for row in reply.buttons for button in row)


class WhatsAppSender:
    """Implements ``checkout.ports.MessageSender`` for the WhatsApp channel (chat key: wa_id)."""

    def __init__(
        self,
        api: CloudApi,
        ledger: WhatsAppLedger,
        *,
        clock: Clock,
        language: Language,
        rules: WhatsAppRules | None = None,
        sms: MessageSender | None = None,
        alert: StaffAlert | None = None,
        turns: ChatTurns | None = None,
        turn_wait_seconds: float = TURN_WAIT_SECONDS,
    ) -> None:
        """``language``: the list button's label (an outbox message carries no language).

        ``turns`` is shared with the webhook: a message waits (at most ``turn_wait_seconds``)
        until the replies to the customer's latest message are sent.
        """
        self._turns = turns or ChatTurns()
        self._turn_wait = turn_wait_seconds
        self._api = api
        self._ledger = ledger
        self._clock = clock
        self._language: Language = language
        self._rules = rules or WhatsAppRules()
        self._sms = sms
        self._alert = alert

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Deliver an outbox message to a WhatsApp customer; DeliveryFailed when it cannot."""
        if not chat_key.isdigit():
            raise DeliveryFailed(f"not a wa_id: {mask_phone(chat_key)}", retry_after=None)
        turn = self._turns.of(chat_key)
        try:
            await asyncio.wait_for(turn.acquire(), self._turn_wait)
        except TimeoutError:
            # A message of this chat is taking long (a hanging Daraja push): send anyway,
            # well inside the outbox lease, rather than risk the message being claimed twice.
            await self._send(chat_key, payload)
            return
        try:
            await self._send(chat_key, payload)
        finally:
            turn.release()

    async def _send(self, chat_key: str, payload: dict[str, Any]) -> None:
        reply = reply_from_payload(payload)
        if await self._in_window(chat_key):
            try:
                await self._send_free_form(chat_key, reply)
                return
            except WhatsAppError as error:
                if error.code != OUTSIDE_WINDOW:
                    raise await self._failure(chat_key, error) from error
                log.info("WhatsApp says the window to %s closed", mask_phone(chat_key))
            except WhatsAppUnavailable as error:
                raise DeliveryFailed(f"whatsapp unreachable: {error}", retry_after=0.0) from error
        await self._send_outside_window(chat_key, reply, payload)

    async def _in_window(self, wa_id: str) -> bool:
        last = await self._ledger.last_inbound_at(wa_id)
        if last is None:
            return False
        window = timedelta(hours=SERVICE_WINDOW_HOURS) - self._rules.window_margin
        return self._clock() - last < window

    async def _send_free_form(self, wa_id: str, reply: Reply) -> None:
        for message in render(reply, self._language):
            message_id = await self._api.send(wa_id, message)
            await self._ledger.record_sent(
                message_id, wa_id, kind=KIND_OUTBOX, text=reply.text, at=self._clock()
            )

    async def _send_outside_window(self, wa_id: str, reply: Reply, payload: dict[str, Any]) -> None:
        """The template for this kind of message; else SMS; else give up and tell the staff."""
        template = self._rules.reminder if is_reminder(reply) else self._rules.payment_result
        if template is not None:
            message = template_message(template.name, template.language_code, reply.text)
            try:
                message_id = await self._api.send(wa_id, message)
            except WhatsAppError as error:
                raise await self._failure(wa_id, error) from error
            except WhatsAppUnavailable as error:
                raise DeliveryFailed(f"whatsapp unreachable: {error}", retry_after=0.0) from error
            await self._ledger.record_sent(
                message_id, wa_id, kind=KIND_TEMPLATE, text=reply.text, at=self._clock()
            )
            log.info("template %s sent to %s", template.name, mask_phone(wa_id))
            return
        if self._sms is not None:
            await self._sms.send(Channel.USSD, wa_id, payload)
            await self._ledger.record_sent(
                f"sms:{self._clock().timestamp()}:{wa_id}",
                wa_id,
                kind=KIND_SMS,
                text=reply.text,
                at=self._clock(),
            )
            log.info("outside the WhatsApp window: sent by SMS to %s", mask_phone(wa_id))
            return
        detail = "outside WhatsApp's 24-hour window, with no template and no SMS"
        await self._tell_staff(wa_id, detail, "window")
        raise DeliveryFailed(detail, retry_after=None)

    async def _failure(self, wa_id: str, error: WhatsAppError) -> DeliveryFailed:
        """The outbox's decision for a refusal (and a word to the staff where it needs one)."""
        if error.code == RATE_LIMITED:
            return DeliveryFailed(
                "whatsapp rate limit (130429)", retry_after=self._rules.throughput_wait_seconds
            )
        if error.code == PAIR_RATE_LIMITED:
            return DeliveryFailed(
                "whatsapp: too many messages to this number (131056)",
                retry_after=self._rules.pair_wait_seconds,
            )
        if error.code == ACCESS_TOKEN:
            await self._tell_staff(wa_id, "the WhatsApp access token was refused", "token")
            return DeliveryFailed("whatsapp access token refused (190)", retry_after=0.0)
        if error.temporary:
            return DeliveryFailed(f"whatsapp {error.code}", retry_after=0.0)
        await self._tell_staff(wa_id, f"WhatsApp refused a message ({error.code})", "refused")
        return DeliveryFailed(f"whatsapp refused: {error.code}", retry_after=None)

    async def _tell_staff(self, wa_id: str, detail: str, reason: str) -> None:
        if self._alert is None:
            return
        key = "whatsapp:token" if reason == "token" else f"whatsapp:{wa_id}:{reason}"
        await self._alert(f"WhatsApp: {detail} for {mask_phone(wa_id)}.", key)
