"""The composition root: builds every component once from the settings and wires them.

Nothing else reads settings or makes engines, clients or bots; each component is handed what
it needs. :class:`Lipa` holds the wired parts of one running process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.bnpl.collect import InstallmentCollector
from checkout.bnpl.desk import PlanDesk
from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.pushes import PlanPusher
from checkout.bnpl.rules import PlanRules
from checkout.channels.ussd.deferred_pushes import PushPolicy, PushWorker
from checkout.channels.ussd.sessions import UssdService
from checkout.channels.ussd.telegram_copies import TelegramCopies
from checkout.conversation.open_orders import OpenOrders
from checkout.conversation.service import ConversationService
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.records import Channel
from checkout.domain.time import Clock
from checkout.i18n.texts import set_business_contact
from checkout.initiator.desk import InitiatorDesk, InitiatorPolicy
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.outbox.ports import MessageSender
from checkout.payments.batching import SettlementBatcher
from checkout.payments.limits import PushLimiter, PushLimits
from checkout.payments.other_way import ChainedReplyHooks
from checkout.payments.reconcile import ReconcilePolicy, Reconciler
from checkout.payments.settling.settle import SettlementService
from checkout.payments.start import PaymentService
from checkout.payments.unit import SettlementListener
from checkout.platform.events import EventPublisher
from checkout.platform.orders import OrderService
from checkout.staff.reports import ReportService
from checkout.till.credit import TillCredits
from checkout.till.daily import DailyLine
from checkout.till.validate import TillValidation
from checkout.till.verify import VerifyService
from daraja import DarajaClient, DarajaConfig, Initiator, Secret, build_http_client
from daraja.simulator.keys import simulator_keys
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    SimulatorSettings,
)
from daraja.url_rules import url_safe_secret
from lipa.channels import StaffLogSender, staff_chat, telegram_enabled
from lipa.gateway import DarajaGateway
from lipa.initiator import DarajaInitiatorGateway, InitiatorUnset, initiator
from lipa.logs import redact_from_now_on
from lipa.receipt_links import ReceiptLinks
from lipa.refunds import RefundParts, refund_initiator, refund_parts
from lipa.settings import MpesaEnvironment, Settings, is_placeholder, require
from lipa.timed_gateway import TimedGateway
from lipa.ways_out import other_way
from lipa.whatsapp_channel import WhatsAppParts, whatsapp_parts
from sms import AfricasTalkingSms, SmsConfig, SmsSender, build_sms_http_client
from storage.database import create_engine, is_sqlite, session_factory
from storage.migrate import upgrade
from storage.notify import listen_forever
from storage.repositories.initiator_requests import SqlInitiatorRequestStore
from storage.repositories.receipts import SqlReceiptTokens
from storage.unit_of_work import SqlUnits, unit_of_work_factory
from web.live import PaymentWatch, WebNotices
from webhook.events import EventWebhookSender
from webhook.initiator import result_path, timeout_path, transaction_facts
from webhook.metrics import LipaMetrics
from webhook.mpesa import SourceCheck, callback_path

log = logging.getLogger(__name__)


# Each event POST to the platform; a slow receiver is retried later rather than waited for.
EVENT_TIMEOUT_SECONDS = 10.0


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class Lipa:
    """The wired components of one process."""

    settings: Settings
    engine: AsyncEngine
    units: SqlUnits
    settlement: SettlementService
    callbacks: SettlementBatcher
    payments: PaymentService
    conversations: ConversationService
    outbox: OutboxSender
    reconciler: Reconciler
    gateway: DarajaGateway
    callback_secret: str
    daraja_base_url: str
    metrics: LipaMetrics
    orders: OrderService
    reports: ReportService
    pushes: PushWorker
    ussd: UssdService
    plans: PlanDesk
    collector: InstallmentCollector
    till: TillCredits
    validation: TillValidation
    daily: DailyLine
    daraja: DarajaClient
    simulator: SimulatorServer | None = None
    # Extra background work this database needs (PostgreSQL: listening for other processes).
    background: tuple[Callable[[], Awaitable[None]], ...] = ()
    senders: dict[Channel, MessageSender] = field(default_factory=dict)
    events: EventPublisher | None = None
    # The web checkout (WEB_CHECKOUT_ENABLED): its pages' wake-ups and the receipt tokens.
    web_watch: PaymentWatch | None = None
    receipts: SqlReceiptTokens | None = None
    whatsapp: WhatsAppParts | None = None
    refunds: RefundParts | None = None  # /refund, its buttons, /api/refunds, the sender
    # Initiator requests (Transaction Status) and "I already paid" / /verify.
    initiators: InitiatorDesk | None = None
    verify: VerifyService | None = None
    initiator_unset: str | None = None  # why Transaction Status cannot be asked (None: it can)


def daraja_config(settings: Settings) -> DarajaConfig:
    """Daraja credentials from the settings; the simulator's own when simulating."""
    simulating = settings.mpesa_environment is MpesaEnvironment.SIMULATOR

    def value(name: str, purpose: str, simulator_default: str) -> str:
        raw = getattr(settings, name)
        # The simulator knows only its own credentials: blanks and placeholders mean those.
        if simulating and is_placeholder(_text(raw)):
            return simulator_default
        return require(settings, name, purpose)

    return DarajaConfig(
        consumer_key=value(
            "mpesa_consumer_key", "the Daraja app's consumer key", DEFAULT_CONSUMER_KEY
        ),
        consumer_secret=Secret(
            value(
                "mpesa_consumer_secret",
                "the Daraja app's consumer secret",
                DEFAULT_CONSUMER_SECRET,
            )
        ),
        business_shortcode=settings.mpesa_business_shortcode,
        passkey=Secret(
            value("mpesa_passkey", "the Lipa na M-Pesa Online passkey", DEFAULT_PASSKEY)
        ),
        transaction_type=settings.mpesa_transaction_type,
        party_b=settings.mpesa_party_b or None,
    )


def _text(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    text = getter() if callable(getter) else value
    return str(text or "").strip()


def callback_secret(settings: Settings) -> str:
    """The callback path's secret; a random one per process when simulating without one.

    A made secret avoids the words Daraja refuses in URLs (see :mod:`daraja.url_rules`).

    A random one is added to the log redaction, as configured secrets are.
    """
    if settings.mpesa_environment is MpesaEnvironment.SIMULATOR and is_placeholder(
        _text(settings.mpesa_callback_secret)
    ):
        made = url_safe_secret()
        redact_from_now_on(made)
        return made
    return require(
        settings,
        "mpesa_callback_secret",
        "the secret part of the M-Pesa callback URL that only Safaricom is given",
    )


def web_secret(settings: Settings, callback: str) -> bytes:
    """What signs the web pages' form tokens: WEB_SECRET, else derived from the callback secret.

    Derived (an HMAC under a fixed label), so every process of a deployment agrees without a
    setting of its own and the callback secret cannot be read back from it.
    """
    configured = _text(settings.web_secret)
    if configured and not is_placeholder(configured):
        return configured.encode()
    return hmac.new(callback.encode(), b"lipa web form tokens", hashlib.sha256).digest()


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    """Reconciliation timings scaled from RECONCILE_AFTER_SECONDS (60 s: asks at 60, 75, 105 s…)."""
    after = settings.reconcile_after_seconds
    return ReconcilePolicy(
        after=timedelta(seconds=after),
        expiry=timedelta(seconds=settings.payment_expiry_seconds),
        first_backoff=timedelta(seconds=after / 4),
        max_backoff=timedelta(seconds=after * 2),
        interval_seconds=min(10.0, after / 2),
    )


def push_limits(settings: Settings) -> PushLimits:
    """The limits on pushes people ask for, from the ``PUSH_LIMIT_*``/``PUSH_PAUSE_*`` settings."""
    return PushLimits(
        per_phone=settings.push_limit_per_phone,
        phone_window=timedelta(seconds=settings.push_limit_phone_window_seconds),
        per_sender=settings.push_limit_per_sender,
        sender_window=timedelta(seconds=settings.push_limit_sender_window_seconds),
        cancels_in_a_row=settings.push_pause_after_cancels,
        pause=timedelta(seconds=settings.push_pause_seconds),
    )


def plan_rules(settings: Settings) -> PlanRules:
    """The Buy-Now-Pay-Later rules from the ``BNPL_*`` settings."""
    return PlanRules(
        deposit_percent=settings.bnpl_deposit_percent,
        options=tuple(settings.bnpl_installment_options),
        interval_days=settings.bnpl_interval_days,
        collection_hour=settings.bnpl_collection_hour,
        min_order=settings.bnpl_min_order,
        max_outstanding=settings.bnpl_max_outstanding,
        require_paid_history=settings.bnpl_require_paid_history,
        late_fee=settings.bnpl_late_fee,
        grace_days=settings.bnpl_grace_days,
    )


def source_check(
    settings: Settings, networks: Sequence[IPv4Network | IPv6Network] | None = None
) -> SourceCheck:
    """Who may call a route (the callback allowlist by default), read through the one proxy
    header the settings trust."""
    return SourceCheck(
        networks=tuple(settings.callback_networks if networks is None else networks),
        trusted_header=settings.mpesa_callback_trusted_header or None,
    )


def callback_url(settings: Settings, secret: str) -> str:
    """The URL Safaricom calls back, built from PUBLIC_BASE_URL and the secret."""
    return settings.public_base_url.rstrip("/") + callback_path(secret)


def business_shortcodes(settings: Settings) -> frozenset[str]:
    """The numbers the business's money is paid to: the shortcode and, for a till, its number."""
    return frozenset(
        code for code in (settings.mpesa_business_shortcode, settings.mpesa_party_b) if code
    )


def initiator_gateway(
    settings: Settings,
    client: DarajaClient,
    public_base_url: str,
    secret: str,
    simulator: SimulatorServer | None,
) -> DarajaInitiatorGateway:
    """The gateway of Transaction Status requests, whose answers come to our result routes.

    Without an initiator configured, it refuses every request with the reason (``unset``), so
    "I already paid" answers at once that codes cannot be checked.
    """
    base = public_base_url.rstrip("/")
    try:
        operator = initiator(settings, simulator_default=simulator_initiator(simulator))
        unset = ""
        # A credential made here (from the password) is a secret the settings never held.
        redact_from_now_on(operator.credential.get_secret_value())
    except (InitiatorUnset, ValueError) as error:
        operator = None
        unset = str(error)
        # Said by `lipa serve` once it has started (other commands do not ask M-Pesa).
        log.debug("Transaction Status is off: %s", unset)
    return DarajaInitiatorGateway(
        client,
        operator,
        result_url=base + result_path(secret),
        timeout_url=base + timeout_path(secret),
        unset=unset,
    )


def simulator_initiator(simulator: SimulatorServer | None) -> Initiator | None:
    """The in-process simulator's own test initiator (None: no simulator in this process):
    its operator's name and password, encrypted with the certificate it serves."""
    if simulator is None:
        return None
    settings = simulator.daraja.settings
    return Initiator.from_password(
        settings.initiator_name, settings.initiator_password, simulator_keys().certificate_pem
    )


def sms_sender(
    settings: Settings, stack: contextlib.AsyncExitStack, *, mark: str = ""
) -> SmsSender:
    """The SMS sender for USSD customers, on an HTTP client ``stack`` closes.

    ``mark`` starts every SMS (``[SIMULATED] `` when ``lipa serve`` runs on the simulator)."""
    http = build_sms_http_client(settings.at_api_base_url)
    stack.push_async_callback(http.aclose)
    config = SmsConfig(
        username=require(settings, "at_username", "the Africa's Talking username for SMS"),
        api_key=require(settings, "at_api_key", "the Africa's Talking API key for SMS"),
        sender_id=settings.at_sender_id or None,
    )
    return SmsSender(AfricasTalkingSms(http, config), mark=mark)


@contextlib.asynccontextmanager
async def open_lipa(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    senders: Mapping[Channel, MessageSender] | None = None,
    simulator_settings: SimulatorSettings | None = None,
    delivery: DeliveryPolicy | None = None,
    public_base_url: str | None = None,
    metrics: LipaMetrics | None = None,
    text_mark: str = "",
    initiator_policy: InitiatorPolicy | None = None,
) -> AsyncIterator[Lipa]:
    """Build and wire every component; close them all on exit.

    ``metrics`` is the process's metrics (made here unless the caller, who may have to hand
    them to the Telegram request layer first, made them). ``text_mark`` starts every SMS.
    ``initiator_policy``: how long Transaction Status answers are waited for (tests shorten it).

    With ``MPESA_ENVIRONMENT=simulator`` and no ``MPESA_API_BASE_URL`` an in-process Daraja
    simulator is started. On SQLite the migrations are applied first.
    """
    # "Contact us" texts say how, wherever they are composed (one business per process).
    set_business_contact(settings.business_contact)
    async with contextlib.AsyncExitStack() as stack:
        engine = create_engine(settings.database_url, sqlite_driver=settings.sqlite_driver)
        stack.push_async_callback(engine.dispose)
        if is_sqlite(settings.database_url):
            await upgrade(engine)
        simulator = None
        base_url = settings.mpesa_base_url
        if base_url is None:
            simulator = SimulatorServer(simulator_settings)
            await simulator.start()
            stack.push_async_callback(simulator.stop)
            base_url = simulator.base_url
        config = daraja_config(settings)
        secret = callback_secret(settings)
        http = build_http_client(
            base_url,
            timeout=httpx.Timeout(settings.mpesa_timeout_seconds, connect=5.0),
            http_transport=settings.daraja_http_transport,
        )
        stack.push_async_callback(http.aclose)
        client = DarajaClient(http, config, now=clock)
        public = public_base_url or settings.public_base_url
        gateway = DarajaGateway(client, public.rstrip("/") + callback_path(secret))
        meter = metrics if metrics is not None else LipaMetrics()
        # The services' Daraja calls are timed for /metrics.
        timed = TimedGateway(gateway, meter.daraja_call)

        sender_map: dict[Channel, MessageSender] = dict(senders or {})
        events = None
        if settings.event_webhook_urls:
            events = EventPublisher(settings.event_webhook_urls, clock=clock)
            hooks = httpx.AsyncClient(timeout=httpx.Timeout(EVENT_TIMEOUT_SECONDS))
            stack.push_async_callback(hooks.aclose)
            sender_map.setdefault(
                Channel.EVENTS,
                EventWebhookSender(
                    hooks,
                    require(settings, "event_webhook_secret", "the secret that signs events"),
                    settings.event_webhook_urls,
                ),
            )
        if settings.sms_enabled:
            sender_map.setdefault(Channel.USSD, sms_sender(settings, stack, mark=text_mark))
        # Without Telegram, staff notices are delivered to the log (see lipa.channels).
        sender_map.setdefault(Channel.LOG, StaffLogSender())
        web_watch = None
        if settings.web_checkout_enabled:
            # A web payment's outcome is read by its page; delivering it wakes the page.
            web_watch = PaymentWatch()
            sender_map.setdefault(Channel.WEB, WebNotices(web_watch))
        listeners: list[SettlementListener] = [meter]
        copies = None
        if telegram_enabled(settings):
            # USSD outcomes are copied to the caller's Telegram chats, if they use the bot too.
            copies = TelegramCopies(clock=clock)
            listeners.append(copies)
        if events is not None:
            listeners.append(events)
        units = unit_of_work_factory(session_factory(engine))
        staff = staff_chat(settings)
        whatsapp = None
        if settings.whatsapp_enabled:
            whatsapp = whatsapp_parts(
                settings,
                engine,
                units,
                staff=staff,
                sms=sender_map.get(Channel.USSD),
                clock=clock,
                stack=stack,
            )
            sender_map.setdefault(Channel.WHATSAPP, whatsapp.sender)
        rules = plan_rules(settings)
        # Plans are settled with their payments; with BNPL off, existing ones are still kept.
        ledger = PlanLedger(clock=clock, rules=rules, offering=settings.bnpl_enabled, staff=staff)
        elsewhere = other_way(settings, clock=clock)
        settlement = SettlementService(
            units,
            clock=clock,
            staff=staff,
            confirm=timed if settings.confirm_with_query else None,
            listeners=listeners,
            # With the web checkout on, a paid payment's Telegram message carries its receipt link.
            reply_hook=ChainedReplyHooks(
                ReceiptLinks(ledger, public, clock=clock)
                if settings.web_checkout_enabled
                else ledger,
                # After a failed try: the other way to pay, or an hour without "Try again".
                elsewhere,
            ),
        )
        # Set when a USSD push is queued: wakes the push worker, built after the payments.
        push_queued = asyncio.Event()
        payments = PaymentService(
            units,
            timed,
            settlement,
            clock=clock,
            push_delay=timedelta(seconds=settings.ussd_push_delay_seconds),
            on_queued=push_queued.set,
            limiter=PushLimiter(push_limits(settings), staff=staff),
            other_way=elsewhere,
        )
        pushes = PushWorker(
            units,
            payments,
            clock=clock,
            copies=copies,
            # A claim outlasts the longest push with the client's own retries.
            policy=PushPolicy(lease_seconds=max(180.0, settings.mpesa_timeout_seconds * 4 + 30)),
            woken_by=push_queued,
        )
        flow_settings = FlowSettings(
            business_name=settings.business_name,
            accept_unknown_orders=settings.accept_unknown_orders,
            default_language=settings.default_language,
            plans=rules if settings.bnpl_enabled else None,
        )
        # Each plan's pushes are claimed for as long as the longest push with its retries.
        pusher = PlanPusher(
            units,
            payments,
            clock=clock,
            lease_seconds=max(180.0, settings.mpesa_timeout_seconds * 4 + 30),
        )
        plans = PlanDesk(units, pusher, ledger, clock=clock, offering=settings.bnpl_enabled)
        till = TillCredits(
            units,
            clock=clock,
            staff=staff,
            listeners=listeners,
            language=settings.default_language,
            sms=Channel.USSD in sender_map,
        )
        transaction_status = initiator_gateway(settings, client, public, secret, simulator)
        initiators = InitiatorDesk(
            SqlInitiatorRequestStore(session_factory(engine)), clock=clock, policy=initiator_policy
        )
        verify = VerifyService(
            initiators,
            units,
            till,
            transaction_status,
            transaction_facts,
            shortcodes=business_shortcodes(settings),
            clock=clock,
            staff=staff,
        )
        conversations = ConversationService(
            units,
            payments,
            flow_settings,
            clock=clock,
            plans=plans,
            verify=verify,
            orders=OpenOrders(
                units, clock=clock, business_name=settings.business_name, staff=staff
            ),
        )
        outbox = OutboxSender(units, sender_map, clock=clock, policy=delivery)
        units.delivery = outbox  # commits hand the messages they queue to this sender
        reconciler = Reconciler(
            units,
            timed,
            settlement,
            clock=clock,
            policy=reconcile_policy(settings),
        )
        background: tuple[Callable[[], Awaitable[None]], ...] = ()
        if not is_sqlite(settings.database_url):
            # Its own commits woke the sender in-process: only other processes' count here.
            background = (
                functools.partial(
                    listen_forever,
                    settings.database_url,
                    outbox.wake,
                    ignore_origin=units.origin,
                ),
            )
        refunds = refund_parts(
            settings,
            units,
            client,
            public_base_url=public,
            secret=secret,
            staff=staff,
            clock=clock,
            listeners=[events] if events is not None else [],
            main_initiator=refund_initiator(settings, simulator_initiator(simulator)),
        )
        yield Lipa(
            refunds=refunds,
            background=background,
            settings=settings,
            engine=engine,
            units=units,
            settlement=settlement,
            callbacks=SettlementBatcher(settlement),
            payments=payments,
            conversations=conversations,
            outbox=outbox,
            reconciler=reconciler,
            gateway=gateway,
            callback_secret=secret,
            daraja_base_url=base_url,
            metrics=meter,
            orders=OrderService(units, clock=clock),
            reports=ReportService(units, clock=clock),
            pushes=pushes,
            plans=plans,
            collector=InstallmentCollector(units, pusher, ledger, clock=clock),
            till=till,
            validation=TillValidation(
                units, reject_unknown_accounts=settings.mpesa_c2b_reject_unknown_accounts
            ),
            daily=DailyLine(
                units,
                till.notices,
                clock=clock,
                hour=settings.reconcile_report_hour,
                statement=settings.mpesa_pull_enabled,
                language=staff.language if staff is not None else settings.default_language,
            ),
            daraja=client,
            ussd=UssdService(
                units,
                conversations,
                clock=clock,
                default_language=settings.default_language,
                resume_window=timedelta(minutes=settings.ussd_resume_minutes),
            ),
            simulator=simulator,
            senders=sender_map,
            events=events,
            web_watch=web_watch,
            receipts=SqlReceiptTokens(session_factory(engine)),
            whatsapp=whatsapp,
            initiators=initiators,
            verify=verify,
            initiator_unset=transaction_status.unset,
        )
