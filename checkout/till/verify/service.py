"""Checking a transaction code with M-Pesa: the customer's "I already paid" and the staff's /verify.

A customer names an order and types the code from their M-Pesa SMS. Lipa refuses at once a
code it has counted already; otherwise it asks Transaction Status (through the initiator desk:
stored first, asked again if the answer times out or never comes). When M-Pesa answers, the
code is credited to the order only if the money reached this business's shortcode, completed,
for at least the order's balance, and the code is still not counted anywhere: then
:meth:`TillCredits.record` credits it once and tells the customer and the staff. Otherwise
the customer is told why in plain words (and the staff, when money may be theirs to sort out).

A staff user's ``/verify <code> [order]`` asks the same question and shows M-Pesa's answer
(amount, payer name, time, status) with "Credit to order …" buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, Final

from checkout.domain.outcomes import VerifyOutcome
from checkout.domain.records import (
    Channel,
    Customer,
    Language,
    Payment,
    StaffChat,
    TransactionFacts,
)
from checkout.domain.references import parse_order_reference
from checkout.domain.time import Clock
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.initiator.desk import InitiatorDesk
from checkout.initiator.ports import InitiatorGateway
from checkout.initiator.records import (
    CommandID,
    InitiatorAccepted,
    InitiatorAnswer,
    InitiatorRequest,
    NewInitiatorRequest,
)
from checkout.till.credit import CreditOutcome, TillCredits
from checkout.till.ports import TillUnitOfWorkFactory
from checkout.till.records import LedgerEntry, LedgerSource
from checkout.till.verify.notices import (
    CUSTOMER_PURPOSE,
    NotCredited,
    Report,
    VerifyNotices,
    chat_of,
)
from checkout.till.verify.status import (
    Verified,
    answer_reason,
    decide,
    till_payment,
)

log = logging.getLogger(__name__)

CUSTOMER: Final = CUSTOMER_PURPOSE  # the purpose of a customer's "I already paid"
STAFF: Final = "verify_staff"  # the purpose of a staff user's /verify
# Outcomes after which the staff are told of a customer's code (money may be theirs to sort).
_TELL_STAFF: Final = frozenset(
    {VerifyOutcome.TOO_SMALL, VerifyOutcome.ORDER_PAID, VerifyOutcome.NO_SUCH_ORDER}
)

# How many codes one chat may have checked with M-Pesa in an hour.
CHECKS_PER_HOUR: Final = 5
# How many orders of the same balance a /verify answer offers to credit.
SUGGESTED: Final = 3

FactsReader = Callable[[InitiatorAnswer], TransactionFacts]
# Daraja's result code when it refuses our initiator or its credential.
INITIATOR_INVALID: Final = 2001


class VerifyService:
    """Asks M-Pesa about transaction codes and credits the ones that pay an order.

    ``shortcodes``: the numbers money to this business is paid to (the paybill, the till).
    ``facts`` reads a Transaction Status answer (the adapter's parser). Registers itself with
    ``desk`` for both purposes.
    """

    def __init__(
        self,
        desk: InitiatorDesk,
        units: TillUnitOfWorkFactory,
        credits: TillCredits,
        gateway: InitiatorGateway,
        facts: FactsReader,
        *,
        shortcodes: Collection[str],
        clock: Clock,
        staff: StaffChat | None = None,
        checks_per_hour: int = CHECKS_PER_HOUR,
        contact: BusinessContact = NO_CONTACT,
    ) -> None:
        self._desk = desk
        self._units = units
        self._credits = credits
        self._gateway = gateway
        self._facts = facts
        self._shortcodes = frozenset(code for code in shortcodes if code)
        self._clock = clock
        self._staff = staff
        self._checks_per_hour = checks_per_hour
        # The words of the answers that come later, queued for the chats.
        self._notices = VerifyNotices(units, clock=clock, staff=staff, contact=contact)
        desk.register(CUSTOMER, self)
        desk.register(STAFF, self)

    # --- asking

    async def ask_for_customer(
        self,
        customer: Customer,
        language: Language,
        order_reference: str,
        code: str,
        *,
        send_now: bool = True,
    ) -> Verified:
        """A customer's code for an order: refused at once if it cannot pay it, else asked."""
        async with self._units() as unit:
            order = await unit.orders.get(order_reference)
        if order is None:
            return Verified(VerifyOutcome.NO_SUCH_ORDER, code)
        if order.is_fully_paid:
            return Verified(VerifyOutcome.ORDER_PAID, code, order=order)
        if await self._credits.known(code) is not None:
            return Verified(VerifyOutcome.ALREADY_USED, code, order=order)
        if any(request.purpose == CUSTOMER for request in await self._desk.store.waiting_for(code)):
            return Verified(VerifyOutcome.ALREADY_CHECKING, code, order=order)
        requester = f"{customer.channel.value}:{customer.chat_key}"
        # Each code costs a Daraja request: a chat guessing codes is held back.
        since = self._clock() - timedelta(hours=1)
        if await self._desk.store.count_since(CUSTOMER, requester, since) >= self._checks_per_hour:
            log.warning("too many codes checked for %s in an hour", customer.channel.value)
            return Verified(VerifyOutcome.TOO_MANY, code, order=order)
        context = {
            "order": order.reference,
            "channel": customer.channel.value,
            "chat": customer.chat_key,
            "language": language,
        }
        asked = await self._desk.ask(
            NewInitiatorRequest(
                CommandID.TRANSACTION_STATUS, code, CUSTOMER, context, requester=requester
            ),
            send_now=send_now,
        )
        if asked.gave_up:
            # Its handler has told the customer already (:meth:`gave_up`).
            return Verified(VerifyOutcome.UNAVAILABLE, code, asked.request.id, order=order)
        return Verified(VerifyOutcome.CHECKING, code, asked.request.id, order=order)

    async def ask_for_staff(
        self,
        code: str,
        *,
        chat: tuple[Channel, str],
        language: Language,
        user: str | None,
        order_reference: str | None = None,
        full_phones: bool = False,
    ) -> Verified:
        """A staff user's /verify: ask M-Pesa; the answer goes to ``chat`` with buttons.

        ``full_phones`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): the answer shows
        the payer's whole number; elsewhere it is masked.
        """
        context: dict[str, Any] = {
            "channel": chat[0].value,
            "chat": chat[1],
            "language": language,
            "user": user,
            "full": full_phones,
        }
        if order_reference is not None:
            context["order"] = order_reference
        asked = await self._desk.ask(
            NewInitiatorRequest(CommandID.TRANSACTION_STATUS, code, STAFF, context)
        )
        if asked.gave_up and asked.refused is not None:
            reason = asked.refused.detail
            return Verified(VerifyOutcome.UNAVAILABLE, code, asked.request.id, reason=reason)
        return Verified(VerifyOutcome.CHECKING, code, asked.request.id)

    async def credit_for_staff(self, request_id: int, order_reference: str, *, by: str) -> Verified:
        """A staff user's "Credit to order …": credit the code M-Pesa reported to the order.

        Refused when M-Pesa's answer is gone, says the money did not reach this business, or
        the code is counted already; the staff's judgement stands for the amount.
        """
        request = await self._desk.store.get(request_id)
        if request is None or request.answer is None:
            return Verified(VerifyOutcome.UNAVAILABLE, request.subject if request else "-")
        code = request.subject
        facts = self._facts(request.answer)
        reference = parse_order_reference(order_reference)
        async with self._units() as unit:
            order = await unit.orders.get(reference) if reference else None
        outcome = decide(
            facts,
            order,
            shortcodes=self._shortcodes,
            known=await self._credits.known(code) is not None,
        )
        if outcome is VerifyOutcome.TOO_SMALL:
            outcome = VerifyOutcome.CREDITED  # the staff may credit part of a balance
        if outcome is not VerifyOutcome.CREDITED or order is None:
            return Verified(outcome, code, request_id, facts, order)
        result = await self._credits.record(
            till_payment(code, facts),
            source=LedgerSource.STATUS,
            order_reference=order.reference,
            by=by,
        )
        return Verified(_credited(result.outcome), code, request_id, facts, result.order or order)

    # --- the initiator desk's handler

    async def send(self, request: InitiatorRequest) -> InitiatorAccepted:
        """Ask Transaction Status about the request's code (again, after a timeout)."""
        return await self._gateway.transaction_status(
            request.subject, originator_conversation_id=request.originator_conversation_id
        )

    def subject_of(self, answer: InitiatorAnswer) -> str | None:
        """The code a Transaction Status answer is about."""
        facts = self._facts(answer)
        return facts.receipt if facts.found else None

    async def answered(self, request: InitiatorRequest, answer: InitiatorAnswer) -> str:
        """M-Pesa answered: credit the customer's order or say why not; show the staff."""
        facts = self._facts(answer)
        if request.purpose == STAFF:
            await self._report_to_staff(request, facts)
            return VerifyOutcome.REPORTED.value
        return (await self._settle_customer(request, facts)).value

    async def gave_up(self, request: InitiatorRequest, reason: str) -> str:
        """M-Pesa could not be asked, or never answered: say so; nothing is credited."""
        await self._notices.unanswered(request, reason)
        return VerifyOutcome.UNAVAILABLE.value

    async def _settle_customer(
        self, request: InitiatorRequest, facts: TransactionFacts
    ) -> VerifyOutcome:
        context = request.context
        code = request.subject
        reference = str(context.get("order", ""))
        async with self._units() as unit:
            order = await unit.orders.get(reference)
        if facts.result_code == INITIATOR_INVALID:
            # Our setup, not the customer's code: nothing is known of the money yet.
            await self.gave_up(request, answer_reason(facts))
            return VerifyOutcome.UNAVAILABLE
        known = await self._credits.known(code)
        if _credited_here(known, request, reference):
            # Run again after an interruption: the credit was made (and told) the first time.
            return VerifyOutcome.CREDITED
        outcome = decide(facts, order, shortcodes=self._shortcodes, known=known is not None)
        if outcome is VerifyOutcome.CREDITED and order is not None:
            result = await self._credits.record(
                till_payment(code, facts),
                source=LedgerSource.STATUS,
                order_reference=order.reference,
                customer=chat_of(context),
            )
            outcome = _credited(result.outcome)
            if outcome is VerifyOutcome.CREDITED:
                log.info("code %s credited to order %s (I already paid)", code, reference)
                return outcome
        balance = order.balance if order is not None else None
        answer = NotCredited(outcome, facts.amount, balance, tell_staff=outcome in _TELL_STAFF)
        await self._notices.not_credited(request, answer)
        log.info("code %s not credited to order %s: %s", code, reference, outcome.value)
        return outcome

    async def _report_to_staff(self, request: InitiatorRequest, facts: TransactionFacts) -> None:
        context = request.context
        code = request.subject
        orders = [str(context["order"])] if context.get("order") else []
        if facts.completed and facts.amount:
            # Unpaid orders whose balance is the amount are the likely ones.
            suggested = await self._credits.suggestions(facts.amount, limit=SUGGESTED)
            orders += [reference for reference in suggested if reference not in orders]
        known = await self._credits.known(code)
        ours = facts.credit_shortcode in self._shortcodes
        await self._notices.report(request, Report(facts, ours, known, orders))

    @property
    def contact(self) -> BusinessContact:
        """How the answers that send the customer to the business say to reach it."""
        return self._notices.contact


def _credited(outcome: CreditOutcome) -> VerifyOutcome:
    """What crediting did, in the customer's terms."""
    if outcome is CreditOutcome.CREDITED:
        return VerifyOutcome.CREDITED
    # The money of a payment Lipa asked for by STK Push: counted as that payment (now with
    # its receipt), or about to be, when its own answer comes.
    if outcome is CreditOutcome.MATCHED:
        return VerifyOutcome.COUNTED
    if outcome is CreditOutcome.WAITING:
        return VerifyOutcome.ALREADY_CHECKING
    if outcome is CreditOutcome.NO_SUCH_ORDER:
        return VerifyOutcome.NO_SUCH_ORDER
    return VerifyOutcome.ALREADY_USED


def _credited_here(
    known: LedgerEntry | Payment | None, request: InitiatorRequest, reference: str
) -> bool:
    """Whether ``known`` is this request's own credit (made before an interruption)."""
    return (
        isinstance(known, LedgerEntry)
        and known.source is LedgerSource.STATUS
        and known.order_reference == reference
        and known.recorded_at >= request.asked_at
    )
