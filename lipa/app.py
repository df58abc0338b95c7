"""The composition root: builds every component once from the settings and wires them.

Nothing else reads settings or makes engines, clients or bots; each component is handed what
it needs (the parts are built in :mod:`lipa.build`). :class:`Lipa` holds the wired parts of one
running process. Nothing is assigned onto a component once it is built: where two need each
other (the units of work and the outbox sender), a port made first joins them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.bnpl.collect import InstallmentCollector
from checkout.bnpl.desk import PlanDesk
from checkout.channels.ussd.deferred_pushes import PushWorker
from checkout.channels.ussd.sessions import UssdService
from checkout.conversation.replying import Conversations
from checkout.domain.records import Channel
from checkout.domain.time import Clock
from checkout.i18n.contact import BusinessContact
from checkout.initiator.desk import InitiatorDesk, InitiatorPolicy
from checkout.outbox.delivery import DeliveryPolicy, OutboxSender
from checkout.outbox.handoff import SenderSlot
from checkout.outbox.ports import MessageSender
from checkout.payments.batching import SettlementBatcher
from checkout.payments.reconcile import Reconciler
from checkout.payments.settling.settle import SettlementService
from checkout.payments.start import PaymentService
from checkout.platform.events import EventPublisher
from checkout.platform.orders import OrderService
from checkout.staff.reports import ReportService
from checkout.till.credit import TillCredits
from checkout.till.daily import DailyLine
from checkout.till.validate import TillValidation
from checkout.till.verify.service import VerifyService
from daraja import DarajaClient
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.build.delivery import threaded_delivery
from lipa.build.mpesa import open_mpesa, simulator_initiator
from lipa.build.senders import channel_senders
from lipa.build.services import checkout_services
from lipa.channels import staff_chat
from lipa.delivery_process import ProcessDelivery, process_brief
from lipa.delivery_thread import DeliveryWorker, ThreadedDelivery
from lipa.gateway import DarajaGateway
from lipa.refunds import RefundParts, refund_initiator, refund_parts
from lipa.settings import Settings
from lipa.whatsapp_channel import WhatsAppParts, whatsapp_parts
from storage.database import SqliteWriters, create_engine, is_sqlite, session_factory
from storage.migrate import upgrade
from storage.notify import listen_forever
from storage.repositories.receipts import SqlReceiptTokens
from storage.unit_of_work import SqlUnits
from web.live import PaymentWatch
from webhook.metrics import LipaMetrics


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
    conversations: Conversations
    outbox: OutboxSender
    # The worker that delivers the outbox (run_forever) and wake(): the child process's
    # (OUTBOX_IN_PROCESS), the thread's (OUTBOX_IN_THREAD), or ``outbox`` itself on this loop.
    delivery: DeliveryWorker
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
    # How the texts that send the customer to the business say to reach it (BUSINESS_CONTACT).
    contact: BusinessContact
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
    outbox_process: bool = False,
) -> AsyncIterator[Lipa]:
    """Build and wire every component; close them all on exit.

    ``metrics`` is the process's metrics (made here unless the caller, who may have to hand
    them to the Telegram request layer first, made them). ``text_mark`` starts every SMS.
    ``initiator_policy``: how long Transaction Status answers are waited for (tests shorten it).
    ``outbox_process``: the outbox is delivered by a child process (``lipa serve`` with
    ``OUTBOX_IN_PROCESS``), whose senders are built there from the settings: ``senders`` then
    serve only this process's own replies.

    With ``MPESA_ENVIRONMENT=simulator`` and no ``MPESA_API_BASE_URL`` an in-process Daraja
    simulator is started. On SQLite the migrations are applied first.
    """
    async with contextlib.AsyncExitStack() as stack:
        # The outbox's thread writes to the same SQLite file: its engine takes the same turns.
        writers = SqliteWriters() if is_sqlite(settings.database_url) else None
        engine = create_engine(
            settings.database_url, sqlite_writers=writers, sqlite_driver=settings.sqlite_driver
        )
        stack.push_async_callback(engine.dispose)
        if is_sqlite(settings.database_url):
            await upgrade(engine)
        meter = metrics if metrics is not None else LipaMetrics()
        mpesa = await open_mpesa(
            settings,
            stack,
            clock=clock,
            metrics=meter,
            simulator_settings=simulator_settings,
            public_base_url=public_base_url,
        )
        channels = channel_senders(settings, stack, given=senders, clock=clock, text_mark=text_mark)
        sender_map = dict(channels.senders)
        # Commits hand the messages they queue to the outbox sender, which needs the units
        # first: the units get the sender's slot, which the sender takes when built below.
        slot = SenderSlot()
        sessions = session_factory(engine)
        units = SqlUnits(sessions, slot)
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
        services = checkout_services(
            settings,
            units,
            sessions,
            mpesa,
            clock=clock,
            staff=staff,
            metrics=meter,
            events=channels.events,
            sms=Channel.USSD in sender_map,
            initiator_policy=initiator_policy,
        )
        apart: ThreadedDelivery | ProcessDelivery | None = None
        if outbox_process:
            apart = ProcessDelivery(
                process_brief(settings, policy=delivery, text_mark=text_mark, origin=units.origin),
                on_notice=channels.web_watch.notify if channels.web_watch is not None else None,
                on_telegram_status=meter.telegram_answered,
            )
            slot.take_place(apart)
        elif settings.outbox_in_thread:
            apart = threaded_delivery(
                settings,
                sender_map,
                given=set(senders or {}),
                clock=clock,
                policy=delivery,
                text_mark=text_mark,
                origin=units.origin,
                sqlite_writers=writers,
            )
            slot.take_place(apart)
        # With the thread or the process delivering, this sender on the server's loop takes no
        # hand-overs; it is there for one-off passes (run_once) and the demo's terminal.
        outbox = OutboxSender(
            units, sender_map, clock=clock, policy=delivery, slot=None if apart else slot
        )
        background: tuple[Callable[[], Awaitable[None]], ...] = ()
        if apart is None and not is_sqlite(settings.database_url):
            # Its own commits woke the sender in-process: only other processes' count here.
            background = (
                functools.partial(
                    listen_forever,
                    settings.database_url,
                    outbox.wake,
                    ignore_origin=units.origin,
                ),
            )
        events = channels.events
        refunds = refund_parts(
            settings,
            units,
            mpesa.client,
            public_base_url=mpesa.public_base_url,
            secret=mpesa.callback_secret,
            staff=staff,
            clock=clock,
            listeners=[events] if events is not None else [],
            main_initiator=refund_initiator(settings, simulator_initiator(mpesa.simulator)),
            sms=Channel.USSD in sender_map,
        )
        yield Lipa(
            refunds=refunds,
            background=background,
            settings=settings,
            engine=engine,
            units=units,
            settlement=services.settlement,
            callbacks=services.callbacks,
            payments=services.payments,
            conversations=services.conversations,
            outbox=outbox,
            delivery=apart if apart is not None else outbox,
            reconciler=services.reconciler,
            gateway=mpesa.gateway,
            callback_secret=mpesa.callback_secret,
            daraja_base_url=mpesa.base_url,
            metrics=meter,
            orders=services.orders,
            reports=services.reports,
            pushes=services.pushes,
            plans=services.plans,
            collector=services.collector,
            till=services.till,
            validation=services.validation,
            daily=services.daily,
            daraja=mpesa.client,
            contact=services.contact,
            ussd=services.ussd,
            simulator=mpesa.simulator,
            senders=sender_map,
            events=events,
            web_watch=channels.web_watch,
            receipts=SqlReceiptTokens(sessions),
            whatsapp=whatsapp,
            initiators=services.initiators,
            verify=services.verify,
            initiator_unset=mpesa.transaction_status.unset,
        )
