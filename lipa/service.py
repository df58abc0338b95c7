"""The running service: the aiohttp server, the Telegram bot and the background workers.

Every customer channel is optional (see :mod:`lipa.channels`); the service says at start which
are on, and refuses to start with none.

``lipa serve`` starts one :class:`Service` and waits for a signal; tests start it the same way
(pointing Telegram at a fake Bot API server) and stop it to simulate a restart.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.application import feed_update
from bot.documents import MEGABYTE
from bot.handlers import CheckoutHandlers
from bot.menus import register_command_menus
from bot.notifier import TelegramSender
from bot.refunds import RefundHandlers
from bot.replies import ReplySender
from bot.sending import ChatTurns
from bot.staff import StaffHandlers
from checkout.conversation.model import Reply, reply_to_payload
from checkout.domain.records import Channel, Payment
from checkout.domain.summaries import OutboxBacklog
from checkout.i18n.payments.messages import pay_link_sms
from checkout.initiator.desk import InitiatorPolicy
from checkout.outbox.delivery import DeliveryPolicy
from checkout.staff.commands import ReceiptLink, StaffDesk, TextPayLink
from checkout.staff.languages import StaffLanguages
from checkout.staff.outcomes import PayLinkText
from checkout.staff.refunds import RefundCommands
from checkout.staff.unmatched import UnmatchedDesk
from checkout.staff.verify import StaffVerify
from daraja.simulator.settings import SimulatorSettings
from lipa.app import Lipa, open_lipa, utc_now
from lipa.build.credentials import web_secret
from lipa.build.page_reads import order_reads, page_receipts
from lipa.build.policies import source_check
from lipa.build.senders import telegram_application
from lipa.channels import NoCustomerChannel, channels_on
from lipa.delivery_process import telegram_shares
from lipa.refunds import RefundParts
from lipa.safety import is_simulated
from lipa.settings import Settings, TelegramMode, require
from lipa.statement import statement_check
from lipa.ways_out import pay_to
from web.payment_page import RECEIPT_TOKEN_BYTES, WebCheckout
from web.plans import WebPlans
from web.routes import WebRoutes
from web.security import AddressLimiter, FormTokens
from webhook.api import OrdersApi
from webhook.app import TelegramRoute, WebhookConfig, Worker, create_app
from webhook.initiator import InitiatorResultHandler
from webhook.limits import ClientLimits
from webhook.metrics import LipaMetrics, MetricsRoute
from webhook.refunds_api import RefundRoutes
from webhook.telegram import TELEGRAM_PATH
from webhook.till import TillHooks
from webhook.ussd import UssdHandler
from whatsapp.webhook import WhatsAppWebhook

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """The service could not start; the message says why in one line."""


class Service:
    """One Lipa process: start it, use it, stop it."""

    def __init__(
        self,
        settings: Settings,
        *,
        simulator_settings: SimulatorSettings | None = None,
        delivery: DeliveryPolicy | None = None,
        text_mark: str = "",
        initiator_policy: InitiatorPolicy | None = None,
    ) -> None:
        """``text_mark`` starts every text sent to customers and staff (``lipa serve`` passes
        ``[SIMULATED] `` on the simulator; see :mod:`lipa.safety`)."""
        self.settings = settings
        # As given: with PORT=0 ``settings`` becomes these with the port bound at each start.
        self._given = settings
        self._text_mark = text_mark
        self._simulator_settings = simulator_settings
        self._delivery = delivery
        self._initiator_policy = initiator_policy
        self._stack = contextlib.AsyncExitStack()
        self.lipa: Lipa | None = None
        self.application: Application | None = None  # type: ignore[type-arg]
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        """Where the HTTP server listens."""
        return f"http://{self.settings.host}:{self.port}"

    async def start(self) -> None:
        """Start everything; on failure nothing is left running."""
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _start(self) -> None:
        listener: socket.socket | None = None
        if self._given.port == 0:
            # Any free port: bound before anything else, so nothing can take it between
            # choosing and serving, and every URL built from the settings names it.
            listener = listen(self._given.host)
            self._stack.callback(listener.close)
            self.settings = with_bound_port(self._given, listener.getsockname()[1])
        settings = self.settings
        channels = channels_on(settings)
        if not channels.any_customer_channel:
            raise NoCustomerChannel()
        polling = settings.telegram_mode is TelegramMode.POLLING
        webhook_secret = None
        if channels.telegram and not polling:
            webhook_secret = require(
                settings,
                "telegram_webhook_secret",
                "the secret Telegram sends with each webhook update",
            )
        metrics = LipaMetrics()
        # Replies to an update and outbox messages to the same chat take turns.
        turns = ChatTurns()
        application = None
        senders: dict[Channel, Any] = {}
        # The outbox in a process of its own, where its senders can all be built.
        outbox_process = settings.outbox_in_process and not settings.whatsapp_enabled
        if settings.outbox_in_process and not outbox_process:
            log.info("WhatsApp's sender lives in this process: the outbox is not in a process")
        replies_rate = settings.telegram_max_messages_per_second
        if outbox_process:
            replies_rate, _ = telegram_shares(replies_rate)
        if channels.telegram:
            application = telegram_application(
                settings,
                polling=polling,
                on_status=metrics.telegram_answered,
                overall_max_rate=replies_rate,
                text_mark=self._text_mark,
            )
            self.application = application
            senders[Channel.TELEGRAM] = TelegramSender(application.bot, turns)
        lipa = await self._stack.enter_async_context(
            open_lipa(
                settings,
                senders=senders,
                simulator_settings=self._simulator_settings,
                delivery=self._delivery,
                metrics=metrics,
                text_mark=self._text_mark,
                initiator_policy=self._initiator_policy,
                outbox_process=outbox_process,
            )
        )
        self.lipa = lipa
        metrics.show_environment(settings.mpesa_environment.value)
        bot_username = None
        if application is not None:
            bot_username = await self._start_bot(application, lipa, turns, polling=polling)

        telegram = None
        if application is not None and webhook_secret is not None:
            telegram = TelegramRoute(webhook_secret, functools.partial(feed_update, application))
        app = create_app(
            WebhookConfig(
                settlement=lipa.callbacks,
                callback_secret=lipa.callback_secret,
                telegram=telegram,
                workers=(
                    lipa.delivery.run_forever,
                    lipa.reconciler.run_forever,
                    lipa.pushes.run_forever,
                    lipa.collector.run_forever,
                    *((lipa.refunds.sender.run_forever,) if lipa.refunds else ()),
                    lipa.daily.run_forever,
                    *statement_workers(lipa),
                    *initiator_workers(lipa),
                    *lipa.background,
                ),
                sources=source_check(settings),
                initiator=initiator_routes(lipa),
                till=TillHooks(
                    lipa.till,
                    lipa.validation,
                    lipa.settlement.bodies,
                    lipa.callback_secret,
                    source_check(settings),
                ),
                limits=ClientLimits(
                    body_seconds=settings.body_read_seconds,
                    per_address=settings.max_connections_per_address,
                ),
                ussd=ussd_handler(lipa),
                api=orders_api(lipa, bot_username),
                metrics=MetricsRoute(
                    lipa.metrics, functools.partial(outbox_backlog, lipa), utc_now
                ),
                health={
                    "mpesa_environment": settings.mpesa_environment.value,
                    "simulated": is_simulated(settings),
                },
            )
        )
        routes = web_routes(lipa, self._stack)
        if routes is not None:
            routes.install(app)
        hook = whatsapp_webhook(lipa)
        if hook is not None:
            hook.install(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site: web.BaseSite = (
            web.SockSite(runner, listener)
            if listener is not None
            else web.TCPSite(runner, settings.host, settings.port)
        )
        await site.start()
        self.port = runner.addresses[0][1]
        # Said once everything started, so a failed start prints only its reason.
        log.info(channels.describe())
        if lipa.initiator_unset is not None:
            log.info('"I already paid" and /verify cannot ask M-Pesa: %s', lipa.initiator_unset)
        log.info("listening on %s", self.base_url)

        if application is None:
            return
        if polling:
            updater = application.updater
            assert updater is not None
            await updater.start_polling(allowed_updates=["message", "callback_query"])
            self._stack.push_async_callback(updater.stop)
        else:
            url = settings.public_base_url.rstrip("/") + TELEGRAM_PATH
            await application.bot.set_webhook(
                url,
                secret_token=webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
            log.info("Telegram webhook registered")

    async def _start_bot(
        self,
        application: Application,  # type: ignore[type-arg]
        lipa: Lipa,
        turns: ChatTurns,
        *,
        polling: bool,
    ) -> str:
        """Install the handlers and start the bot; its username (from getMe)."""
        settings = self.settings
        CheckoutHandlers(
            lipa.conversations,
            settings.default_language,
            replies=ReplySender(lipa.units, clock=utc_now),
            # In webhook mode the webhook's own answer answers each button press.
            answer_button_presses=polling,
            turns=turns,
        ).install(application)
        try:
            await application.initialize()
        except InvalidToken as error:
            raise ServiceError("TELEGRAM_BOT_TOKEN was refused by Telegram") from error
        except TelegramError as error:
            raise ServiceError(f"could not reach Telegram: {error.message}") from error
        self._stack.push_async_callback(application.shutdown)
        StaffHandlers(
            staff_desk(
                lipa,
                StaffDesk(
                    lipa.orders,
                    lipa.reports,
                    language=settings.default_language,
                    web_base_url=web_base_url(lipa),
                    text_pay_link=sms_pay_link(lipa),
                    receipt_link=receipt_link(lipa),
                    whatsapp_number=whatsapp_number(settings),
                    business_name=settings.business_name,
                    unmatched=UnmatchedDesk(lipa.till),
                    full_phones=settings.staff_see_full_phones,
                    refunds=lipa.refunds is not None,
                    languages=StaffLanguages(
                        lipa.units, default=settings.default_language, clock=utc_now
                    ),
                ),
            ),
            settings.staff_user_ids,
            staff_chat_id=settings.staff_chat_id,
            upload_limit=settings.telegram_upload_limit_mb * MEGABYTE,
        ).install(application)
        if lipa.refunds is not None:
            refund_handlers(lipa, lipa.refunds, polling=polling).install(application)
        await application.start()
        self._stack.push_async_callback(application.stop)
        await register_command_menus(
            application.bot,
            default_language=settings.default_language,
            staff_user_ids=settings.staff_user_ids,
            staff_chat_id=settings.staff_chat_id,
        )
        # getMe has run: the bot's username makes the deep links staff and the platform hand out.
        return str(application.bot.username)

    async def stop(self) -> None:
        """Stop everything started, in reverse order."""
        await self._stack.aclose()
        self.lipa = None


def listen(host: str) -> socket.socket:
    """A listening socket on ``host`` at a port the system chooses (PORT=0)."""
    family, _kind, _protocol, _name, address = socket.getaddrinfo(
        host, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return socket.create_server(address[:2], family=family)


def with_bound_port(settings: Settings, port: int) -> Settings:
    """``settings`` once PORT=0 was bound to ``port``: a public URL naming port 0 names it too
    (``PUBLIC_BASE_URL=http://127.0.0.1:0`` follows the port; any other stays as given)."""
    public = urlsplit(settings.public_base_url)
    if public.port != 0:
        return settings
    netloc = f"{public.netloc.rpartition(':')[0]}:{port}"
    return settings.model_copy(update={"public_base_url": public._replace(netloc=netloc).geturl()})


def staff_desk(lipa: Lipa, desk: StaffDesk) -> StaffDesk | StaffVerify:
    """The staff desk, with /verify and its buttons when codes can be checked."""
    if lipa.verify is None:
        return desk
    return StaffVerify(desk, lipa.verify)


def initiator_routes(lipa: Lipa) -> InitiatorResultHandler | None:
    """The Result and QueueTimeOut routes of initiator requests (same secret and allowlist as
    the STK callback)."""
    if lipa.initiators is None:
        return None
    return InitiatorResultHandler(
        lipa.initiators,
        lipa.settlement.bodies,
        lipa.callback_secret,
        source_check(lipa.settings),
        # Refunds' Reversal and B2C results, which the desk did not store.
        others=(lipa.refunds.take,) if lipa.refunds is not None else (),
    )


def initiator_workers(lipa: Lipa) -> tuple[Callable[[], Awaitable[None]], ...]:
    """The periodic pass that asks again what Daraja did not answer."""
    return (lipa.initiators.run_forever,) if lipa.initiators is not None else ()


def statement_workers(lipa: Lipa) -> tuple[Worker, ...]:
    """The periodic statement check, while MPESA_PULL_ENABLED is on."""
    if not lipa.settings.mpesa_pull_enabled:
        return ()
    return (statement_check(lipa).run_forever,)


def orders_api(lipa: Lipa, bot_username: str | None) -> OrdersApi | None:
    """The orders API, or None (not served) while API_TOKEN is unset.

    Without Telegram (no ``bot_username``) orders have no Telegram pay link.
    """
    token = lipa.settings.api_token_value
    if token is None:
        return None
    return OrdersApi(
        lipa.orders,
        token=token,
        bot_username=bot_username,
        server_url=lipa.settings.public_base_url,
        web_base_url=web_base_url(lipa),
        whatsapp_number=whatsapp_number(lipa.settings),
        refunds=RefundRoutes(lipa.refunds.desk) if lipa.refunds is not None else None,
    )


def refund_handlers(lipa: Lipa, refunds: RefundParts, *, polling: bool) -> RefundHandlers:
    """``/refund`` and the refund buttons, for the staff, approvers and owners (in webhook
    mode the webhook's answer answers each press)."""
    languages = StaffLanguages(lipa.units, default=lipa.settings.default_language, clock=utc_now)
    return RefundHandlers(
        RefundCommands(refunds.desk, languages=languages),
        refunds.staff_ids,
        staff_chat_id=lipa.settings.staff_chat_id,
        answer_button_presses=polling,
    )


def sms_pay_link(lipa: Lipa) -> TextPayLink | None:
    """Queue an SMS with an order's pay link through the outbox (as USSD outcomes go), said in
    the business's default language; None without SMS."""
    if Channel.USSD not in lipa.senders:
        return None
    language = lipa.settings.default_language

    async def text(phone: str, pay_link: PayLinkText) -> None:
        message = pay_link_sms(language, pay_link.order, pay_link.balance, pay_link.link)
        now = utc_now()
        async with lipa.units() as unit:
            await unit.outbox.add(
                channel=Channel.USSD,
                chat_key=phone,
                payload=reply_to_payload(Reply(message)),
                now=now,
            )
            await unit.commit()

    return text


def receipt_link(lipa: Lipa) -> ReceiptLink | None:
    """A paid payment's receipt link (its token made on first use), or None with the web off."""
    base = web_base_url(lipa)
    tokens = lipa.receipts
    if base is None or tokens is None:
        return None

    async def link(payment: Payment) -> str:
        offered = secrets.token_hex(RECEIPT_TOKEN_BYTES)
        token = await tokens.token_for(payment.id, offered, now=utc_now())
        return f"{base.rstrip('/')}/receipts/{token}"

    return link


def web_base_url(lipa: Lipa) -> str | None:
    """Where orders' web pages are served (PUBLIC_BASE_URL), or None with the web checkout off."""
    return lipa.settings.public_base_url if lipa.web_watch is not None else None


def web_routes(lipa: Lipa, stack: contextlib.AsyncExitStack) -> WebRoutes | None:
    """The web checkout's pages, or None (not served) with WEB_CHECKOUT_ENABLED off."""
    settings = lipa.settings
    if lipa.web_watch is None or lipa.receipts is None:
        return None
    # "Pay later" on the page goes through the chat's plan desk (no plans offered: none).
    plans = WebPlans(lipa.units, lipa.plans, clock=utc_now) if settings.bnpl_enabled else None
    reads = order_reads(settings, lipa.units, stack)
    checkout = WebCheckout(
        lipa.units,
        lipa.payments,
        page_receipts(reads, lipa.receipts),
        clock=utc_now,
        pay_to=pay_to(lipa.settings),
        plans=plans,
        reads=reads,
    )
    return WebRoutes(
        checkout,
        FormTokens(web_secret(settings, lipa.callback_secret)),
        lipa.web_watch,
        AddressLimiter(settings.web_rate_limit_per_minute),
        business_name=settings.business_name,
        default_language=settings.default_language,
        trusted_header=settings.mpesa_callback_trusted_header or None,
        contact=lipa.contact,
    )


def whatsapp_number(settings: Settings) -> str | None:
    """The number wa.me links open (WHATSAPP_DISPLAY_NUMBER), while WhatsApp is on."""
    number = (settings.whatsapp_display_number or "").strip()
    return number if settings.whatsapp_enabled and number else None


async def outbox_backlog(lipa: Lipa) -> OutboxBacklog:
    """The outbox's undelivered messages, read for a metrics scrape."""
    async with lipa.units() as unit:
        return await unit.reports.outbox_backlog()


def whatsapp_webhook(lipa: Lipa) -> WhatsAppWebhook | None:
    """The WhatsApp webhook, or None (not served) while the WHATSAPP_* settings are unset."""
    parts = lipa.whatsapp
    if parts is None:
        return None
    settings = lipa.settings
    return WhatsAppWebhook(
        lipa.conversations,
        parts.ledger,
        parts.api,
        lipa.units,
        app_secret=require(settings, "whatsapp_app_secret", "the WhatsApp app secret"),
        verify_token=require(
            settings, "whatsapp_verify_token", "the WhatsApp webhook's verify token"
        ),
        clock=utc_now,
        default_language=settings.default_language,
        turns=parts.turns,
        sms_fallback=parts.sms_fallback,
        alert=parts.alert,
    )


def ussd_handler(lipa: Lipa) -> UssdHandler | None:
    """The USSD routes, or None (not served) while no SMS can tell USSD customers outcomes."""
    if Channel.USSD not in lipa.senders:
        return None
    return UssdHandler(lipa.ussd, source_check(lipa.settings, lipa.settings.ussd_networks))
