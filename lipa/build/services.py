"""The checkout's services, wired on one unit-of-work factory, as every process runs them.

:func:`checkout_services` is the one place the payment, conversation, plan, USSD and till
services are built and told of each other; ``lipa serve``, ``lipa demo``, the benchmarks and
the tests that start Lipa all get theirs from it (through :func:`lipa.app.open_lipa`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout.bnpl.collect import InstallmentCollector
from checkout.bnpl.desk import PlanDesk
from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.pushes import PlanPusher
from checkout.channels.ussd.deferred_pushes import PushPolicy, PushWorker
from checkout.channels.ussd.sessions import UssdService
from checkout.channels.ussd.telegram_copies import TelegramCopies
from checkout.conversation.open_orders import OpenOrders
from checkout.conversation.replying import Conversations, chat_conversations
from checkout.conversation.service import ConversationService
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.records import StaffChat
from checkout.domain.time import Clock
from checkout.i18n.contact import BusinessContact
from checkout.initiator.desk import InitiatorDesk, InitiatorPolicy
from checkout.payments.batching import SettlementBatcher
from checkout.payments.limits import PushLimiter
from checkout.payments.other_way import ChainedOutcomeHooks
from checkout.payments.reconcile import Reconciler
from checkout.payments.settling.notices import SettlementNotices
from checkout.payments.settling.settle import SettlementService
from checkout.payments.start import PaymentService
from checkout.payments.unit import SettlementListener
from checkout.platform.events import EventPublisher
from checkout.platform.orders import OrderService
from checkout.staff.reports import ReportService
from checkout.till.credit import TillCredits
from checkout.till.daily import DailyLine
from checkout.till.validate import TillValidation
from checkout.till.verify.service import VerifyService
from checkout.till.waiting import WaitingConfirmations
from lipa.build.mpesa import Mpesa
from lipa.build.policies import (
    business_shortcodes,
    plan_rules,
    push_lease_seconds,
    push_limits,
    reconcile_policy,
)
from lipa.channels import telegram_enabled
from lipa.receipt_links import ReceiptLinks
from lipa.settings import Settings
from lipa.ways_out import other_way
from storage.repositories.initiator_requests import SqlInitiatorRequestStore
from storage.unit_of_work import SqlUnits
from webhook.initiator import transaction_facts
from webhook.metrics import LipaMetrics
from webhook.till import kept_confirmation


@dataclass(frozen=True, slots=True)
class CheckoutServices:
    """The services of one process, each built once and handed the others it needs."""

    settlement: SettlementService
    callbacks: SettlementBatcher
    payments: PaymentService
    pushes: PushWorker
    reconciler: Reconciler
    conversations: Conversations
    plans: PlanDesk
    collector: InstallmentCollector
    till: TillCredits
    validation: TillValidation
    daily: DailyLine
    initiators: InitiatorDesk
    verify: VerifyService
    orders: OrderService
    reports: ReportService
    ussd: UssdService
    # How the texts that send the customer to the business say to reach it (BUSINESS_CONTACT).
    contact: BusinessContact


def checkout_services(
    settings: Settings,
    units: SqlUnits,
    sessions: async_sessionmaker[AsyncSession],
    mpesa: Mpesa,
    *,
    clock: Clock,
    staff: StaffChat | None,
    metrics: LipaMetrics,
    events: EventPublisher | None,
    sms: bool,
    initiator_policy: InitiatorPolicy | None,
) -> CheckoutServices:
    """Build the services; ``sms``: whether USSD customers can be sent an SMS."""
    # "Contact us" texts say how, given to every service whose presenters write one.
    contact = BusinessContact.of(settings.business_contact)
    listeners: list[SettlementListener] = [metrics]
    copies = None
    if telegram_enabled(settings):
        # USSD outcomes are copied to the caller's Telegram chats, if they use the bot too.
        copies = TelegramCopies(clock=clock, contact=contact)
        listeners.append(copies)
    if events is not None:
        listeners.append(events)
    rules = plan_rules(settings)
    # Plans are settled with their payments; with BNPL off, existing ones are still kept.
    ledger = PlanLedger(
        clock=clock, rules=rules, offering=settings.bnpl_enabled, staff=staff, contact=contact
    )
    elsewhere = other_way(settings, clock=clock)
    till = TillCredits(
        units,
        clock=clock,
        staff=staff,
        listeners=listeners,
        language=settings.default_language,
        sms=sms,
    )
    # A C2B confirmation that waited for a push of the same phone and amount is credited
    # once that push ends without money.
    waiting = WaitingConfirmations(till, kept_confirmation)
    # With the web checkout on, a paid payment's outcome carries its receipt link.
    outcome_hook = ChainedOutcomeHooks(
        ReceiptLinks(ledger, mpesa.public_base_url, clock=clock)
        if settings.web_checkout_enabled
        else ledger,
        # After a failed try: the other way to pay, or an hour without "Try again".
        elsewhere,
    )
    settlement = SettlementService(
        units,
        clock=clock,
        staff=staff,
        confirm=mpesa.timed if settings.confirm_with_query else None,
        listeners=[*listeners, waiting],
        outcome_hook=outcome_hook,
        notices=SettlementNotices(outcome_hook, clock=clock, staff=staff, contact=contact),
    )
    # Set when a USSD push is queued: wakes the push worker, built after the payments.
    push_queued = asyncio.Event()
    payments = PaymentService(
        units,
        mpesa.timed,
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
        policy=PushPolicy(lease_seconds=push_lease_seconds(settings)),
        woken_by=push_queued,
    )
    flow_settings = FlowSettings(
        business_name=settings.business_name,
        accept_unknown_orders=settings.accept_unknown_orders,
        default_language=settings.default_language,
        plans=rules if settings.bnpl_enabled else None,
    )
    # Each plan's pushes are claimed for as long as the longest push with its retries.
    pusher = PlanPusher(units, payments, clock=clock, lease_seconds=push_lease_seconds(settings))
    plans = PlanDesk(units, pusher, ledger, clock=clock, offering=settings.bnpl_enabled)
    initiators = InitiatorDesk(
        SqlInitiatorRequestStore(sessions), clock=clock, policy=initiator_policy
    )
    verify = VerifyService(
        initiators,
        units,
        till,
        mpesa.transaction_status,
        transaction_facts,
        shortcodes=business_shortcodes(settings),
        clock=clock,
        staff=staff,
        contact=contact,
    )
    service = ConversationService(
        units,
        payments,
        flow_settings,
        clock=clock,
        plans=plans,
        verify=verify,
        orders=OpenOrders(units, clock=clock, business_name=settings.business_name, staff=staff),
    )
    conversations = chat_conversations(service, contact=contact)
    return CheckoutServices(
        settlement=settlement,
        callbacks=SettlementBatcher(settlement),
        payments=payments,
        pushes=pushes,
        reconciler=Reconciler(
            units, mpesa.timed, settlement, clock=clock, policy=reconcile_policy(settings)
        ),
        conversations=conversations,
        plans=plans,
        collector=InstallmentCollector(
            units, pusher, ledger, clock=clock, ussd_code=settings.ussd_code, sms=sms
        ),
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
        ),
        initiators=initiators,
        verify=verify,
        orders=OrderService(units, clock=clock, events=events),
        reports=ReportService(units, clock=clock),
        ussd=UssdService(
            units,
            conversations,
            clock=clock,
            default_language=settings.default_language,
            resume_window=timedelta(minutes=settings.ussd_resume_minutes),
        ),
        contact=contact,
    )
