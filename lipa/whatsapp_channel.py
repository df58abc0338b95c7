"""Building the WhatsApp channel from the settings: the Cloud API client, records and sender.

The webhook's routes are added by :mod:`lipa.service`, from the parts built here.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.conversation.model import Reply, reply_to_payload
from checkout.domain.records import StaffChat
from checkout.domain.time import Clock
from checkout.outbox.ports import MessageSender
from checkout.payments.unit import UnitOfWorkFactory
from lipa.settings import Settings, require
from storage.whatsapp import SqlWhatsAppLedger
from whatsapp.client import CloudApi, CloudApiConfig, build_whatsapp_http_client
from whatsapp.ports import StaffAlert
from whatsapp.sender import Template, WhatsAppRules, WhatsAppSender
from whatsapp.turns import ChatTurns

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WhatsAppParts:
    """What the WhatsApp channel's webhook and outbox sender share."""

    api: CloudApi
    ledger: SqlWhatsAppLedger
    turns: ChatTurns
    sender: WhatsAppSender
    alert: StaffAlert
    sms_fallback: bool


def whatsapp_rules(settings: Settings) -> WhatsAppRules:
    """The templates for outside the 24-hour window, from the ``WHATSAPP_TEMPLATE_*`` settings."""

    def template(name: str | None, language: str) -> Template | None:
        return Template(name.strip(), language) if name and name.strip() else None

    return WhatsAppRules(
        payment_result=template(
            settings.whatsapp_template_payment_result,
            settings.whatsapp_template_payment_result_language,
        ),
        reminder=template(
            settings.whatsapp_template_reminder, settings.whatsapp_template_reminder_language
        ),
    )


def staff_alert(units: UnitOfWorkFactory, staff: StaffChat | None, clock: Clock) -> StaffAlert:
    """Tell the staff once per key, through the outbox (the log when no staff chat is set)."""

    async def alert(text: str, key: str) -> None:
        if staff is None:
            log.warning("%s", text)
            return
        async with units() as unit:
            await unit.outbox.add(
                channel=staff.channel,
                chat_key=staff.chat_key,
                payload=reply_to_payload(Reply(text)),
                now=clock(),
                dedupe_key=key,
            )
            await unit.commit()

    return alert


def whatsapp_parts(
    settings: Settings,
    engine: AsyncEngine,
    units: UnitOfWorkFactory,
    *,
    staff: StaffChat | None,
    sms: MessageSender | None,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
) -> WhatsAppParts:
    """The channel's parts, on an HTTP client ``stack`` closes."""
    http = build_whatsapp_http_client(settings.whatsapp_api_base_url)
    stack.push_async_callback(http.aclose)
    api = CloudApi(
        http,
        CloudApiConfig(
            phone_number_id=require(
                settings, "whatsapp_phone_number_id", "the WhatsApp business phone number id"
            ),
            access_token=require(
                settings, "whatsapp_access_token", "the WhatsApp Cloud API access token"
            ),
        ),
    )
    ledger = SqlWhatsAppLedger(engine)
    turns = ChatTurns()
    alert = staff_alert(units, staff, clock)
    sender = WhatsAppSender(
        api,
        ledger,
        clock=clock,
        language=settings.default_language,
        rules=whatsapp_rules(settings),
        sms=sms,
        alert=alert,
        turns=turns,
    )
    return WhatsAppParts(api, ledger, turns, sender, alert, sms_fallback=sms is not None)
