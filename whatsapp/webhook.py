"""The Cloud API's webhook on Lipa's aiohttp server: verification, and signed updates.

``GET /whatsapp/webhook`` echoes ``hub.challenge`` when ``hub.mode`` is ``subscribe`` and
``hub.verify_token`` matches (403 otherwise). ``POST /whatsapp/webhook`` must carry
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>``,
compared in constant time: without it 401, with a wrong one 403, and nothing is read.

A signed update is answered 200 at once (WhatsApp retries slow or failed answers); each
message id is recorded first, in one insert that ignores a conflict, so a redelivered
message — to this process or another — changes nothing and sends nothing. A message whose
id was recorded but whose handling the process did not finish (it died) is not handled
again: for a checkout, a lost message the customer can repeat beats a second STK push.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Coroutine
from typing import Any, Final

from aiohttp import web

from checkout.conversation.model import Reply, reply_to_payload
from checkout.conversation.replying import Conversations
from checkout.conversation.service import ConversationBusy
from checkout.domain.phones import PhoneError, mask_phone, normalise_phone
from checkout.domain.records import Channel, Language
from checkout.domain.time import Clock
from checkout.i18n.chat import sorry_text
from checkout.i18n.payments.refusals import refusal_text
from checkout.payments.unit import UnitOfWorkFactory
from checkout.runtime.log_context import log_fields
from whatsapp.client import CloudApi, WhatsAppError, WhatsAppUnavailable
from whatsapp.events import InboundMessage, StatusUpdate, parse_update
from whatsapp.ports import KIND_REPLY, OUTCOME_KINDS, StaffAlert, WhatsAppLedger
from whatsapp.rendering import render
from whatsapp.turns import ChatTurns

log = logging.getLogger(__name__)

WHATSAPP_PATH: Final = "/whatsapp/webhook"
SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
STOP_SECONDS: Final = 10.0


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value WhatsApp sends with ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WhatsAppWebhook:
    """Receives WhatsApp updates, feeds customers' messages to the checkout, sends the replies."""

    def __init__(
        self,
        conversations: Conversations,
        ledger: WhatsAppLedger,
        api: CloudApi,
        units: UnitOfWorkFactory,
        *,
        app_secret: str,
        verify_token: str,
        clock: Clock,
        default_language: Language,
        turns: ChatTurns | None = None,
        sms_fallback: bool = False,
        alert: StaffAlert | None = None,
    ) -> None:
        """``sms_fallback``: a failed outcome is sent again by SMS (an SMS sender exists)."""
        self._conversations = conversations
        self._ledger = ledger
        self._api = api
        self._units = units
        self._secret = app_secret
        self._verify_token = verify_token
        self._clock = clock
        self._language: Language = default_language
        self._turns = turns or ChatTurns()
        self._sms_fallback = sms_fallback
        self._alert = alert
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self, app: web.Application) -> None:
        """Add the webhook's routes; handling in progress is awaited when the server stops."""
        app.router.add_get(WHATSAPP_PATH, self.verify)
        app.router.add_post(WHATSAPP_PATH, self.receive)
        app.on_shutdown.append(self._finish)

    async def verify(self, request: web.Request) -> web.Response:
        """The subscription check: echo the challenge to the holder of the verify token."""
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), self._verify_token.encode()
        ):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=query.get("hub.challenge", ""))

    async def receive(self, request: web.Request) -> web.Response:
        """A signed update: record new message ids, answer 200, handle them after."""
        raw = await request.read()
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            return web.Response(status=401, text="unsigned")
        if not hmac.compare_digest(given.encode(), signature(self._secret, raw).encode()):
            log.warning("WhatsApp update with a wrong signature refused")
            return web.Response(status=403, text="bad signature")
        try:
            update = parse_update(json.loads(raw))
        except ValueError:
            return web.Response(status=400, text="not JSON")
        now = self._clock()
        fresh: list[InboundMessage] = []
        for message in update.messages:
            if await self._ledger.first_delivery(message.message_id, message.wa_id, at=now):
                fresh.append(message)
            else:
                log.info("WhatsApp message %s delivered again; ignored", message.message_id)
        if fresh or update.statuses:
            self._start(self._handle(fresh, update.statuses))
        return web.json_response({"status": "ok"})

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, _app: web.Application) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_SECONDS)

    async def _handle(
        self, messages: list[InboundMessage], statuses: tuple[StatusUpdate, ...]
    ) -> None:
        for message in messages:
            with log_fields(conversation=f"{Channel.WHATSAPP.value}:{message.wa_id}"):
                try:
                    await self._converse(message)
                except Exception:
                    log.exception("WhatsApp message %s failed", message.message_id)
        for status in statuses:
            try:
                await self._status(status)
            except Exception:
                log.exception("WhatsApp status of %s failed", status.message_id)

    async def _converse(self, message: InboundMessage) -> None:
        """Feed one message to the checkout and send its replies, holding the chat's turn."""
        wa_id = message.wa_id
        async with self._turns.of(wa_id):
            language = self._language
            try:
                answer = await self._conversations.answer(
                    Channel.WHATSAPP, wa_id, message.event, phone=_paying_phone(wa_id)
                )
                replies, language = answer.replies, answer.language
                if answer.refused is not None:
                    # The push limits held the prompt back: say why, and how long to wait.
                    replies = [*replies, Reply(refusal_text(language, answer.refused))]
            except ConversationBusy:
                return
            except Exception:
                # Never let a traceback reach the customer: log it, say something plain.
                log.exception("WhatsApp message %s could not be handled", message.message_id)
                replies = [Reply(sorry_text(language))]
            await self._send_replies(message, replies, language)

    async def _send_replies(
        self, message: InboundMessage, replies: list[Reply], language: Language
    ) -> None:
        """Send each reply; from the first WhatsApp refuses on, the rest go through the outbox."""
        wa_id = message.wa_id
        for index, reply in enumerate(replies):
            try:
                for part in render(reply, language):
                    message_id = await self._api.send(wa_id, part)
                    await self._ledger.record_sent(
                        message_id, wa_id, kind=KIND_REPLY, text=reply.text, at=self._clock()
                    )
            except (WhatsAppError, WhatsAppUnavailable) as error:
                log.info("reply to %s queued after %s", mask_phone(wa_id), error)
                await self._queue(message, replies[index:])
                return

    async def _queue(self, message: InboundMessage, replies: list[Reply]) -> None:
        """Hand replies to the outbox, which retries them under WhatsApp's rules."""
        now = self._clock()
        async with self._units() as unit:
            for index, reply in enumerate(replies):
                await unit.outbox.add(
                    channel=Channel.WHATSAPP,
                    chat_key=message.wa_id,
                    payload=reply_to_payload(reply),
                    now=now,
                    dedupe_key=f"whatsapp:{message.message_id}:reply:{index}",
                )
            await unit.commit()

    async def _status(self, status: StatusUpdate) -> None:
        """Record a status; a failed outcome goes again by SMS (or the staff are told)."""
        sent = await self._ledger.record_status(
            status.message_id, status.status, at=self._clock(), error=status.error
        )
        if sent is None or status.status != "failed":
            return
        log.warning(
            "WhatsApp could not deliver %s to %s: %s",
            sent.kind,
            mask_phone(sent.wa_id),
            status.error or "no reason given",
        )
        if sent.kind not in OUTCOME_KINDS:
            return
        if self._sms_fallback:
            async with self._units() as unit:
                await unit.outbox.add(
                    channel=Channel.USSD,  # the SMS channel, keyed by the phone number
                    chat_key=sent.wa_id,
                    payload=reply_to_payload(Reply(sent.text)),
                    now=self._clock(),
                    dedupe_key=f"whatsapp:{sent.message_id}:sms",
                )
                await unit.commit()
        elif self._alert is not None:
            await self._alert(
                f"WhatsApp could not deliver a payment message to {mask_phone(sent.wa_id)} "
                f"({status.error or 'failed'}); there is no SMS to send it by.",
                f"whatsapp:{sent.message_id}:failed",
            )


def _paying_phone(wa_id: str) -> str | None:
    """The wa_id as an M-Pesa number, offered as "Use <number>"; None if it is not one."""
    try:
        return normalise_phone(wa_id)
    except PhoneError:
        return None
