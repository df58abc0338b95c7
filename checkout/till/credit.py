"""Crediting M-Pesa transactions: each one once, to an order, to an STK payment, or to the queue.

:meth:`TillCredits.record` is the one way a transaction enters Lipa's books, whichever way it
arrives (a C2B confirmation, a statement line, a Transaction Status answer). Writing its
ledger row is the guard: the transaction id is unique, so a second delivery finds it written
and changes nothing. In the same transaction it is matched (see :mod:`checkout.till.matching`)
and, when it pays an order, becomes a paid ``payments`` row of method ``till``, so reports,
receipts, order status and events all see it; the customer and the staff are told through
the outbox, in the same transaction too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from checkout.domain.phones import mask_phone, msisdn_phone
from checkout.domain.records import (
    BodyStatus,
    Channel,
    Language,
    Order,
    Payment,
    ReceivedBody,
    StaffChat,
)
from checkout.domain.references import parse_order_reference
from checkout.domain.time import Clock
from checkout.payments.ports import ReceiptDetails
from checkout.payments.unit import SettlementListener
from checkout.till.matching import Match, MatchKind, find_match
from checkout.till.notices import TillNotices
from checkout.till.ports import PayerChat, TillUnitOfWork, TillUnitOfWorkFactory
from checkout.till.records import LedgerEntry, LedgerSource, LedgerState, TillPayment

log = logging.getLogger(__name__)


class CreditOutcome(StrEnum):
    """What recording or resolving a transaction did."""

    CREDITED = "credited"  # credited to an order as a till payment
    MATCHED = "matched"  # the M-Pesa side of an STK payment (its receipt filled in if missing)
    DUPLICATE = "duplicate"  # already in the ledger (or already resolved): nothing changed
    QUEUED = "queued"  # nobody could match it: in the staff's queue
    NOT_OURS = "not_ours"  # the staff said it belongs to no order
    NO_SUCH_ORDER = "no_such_order"
    NO_SUCH_TRANSACTION = "no_such_transaction"
    # An STK push of that phone and amount is still pending: its own answer settles it, and
    # the transaction is left out of the ledger until then (the next statement brings it).
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class CreditResult:
    """What happened to one transaction, with its ledger entry, order and payment if any."""

    outcome: CreditOutcome
    entry: LedgerEntry | None = None
    order: Order | None = None
    payment: Payment | None = None


_BODY_STATUS = {
    CreditOutcome.DUPLICATE: BodyStatus.DUPLICATE,
    CreditOutcome.WAITING: BodyStatus.UNKNOWN,
}


class TillCredits:
    """Records M-Pesa transactions in the ledger and credits them.

    ``sms``: whether a payer Lipa knows only by a full phone number can be texted (SMS is
    configured); ``language`` is the one such texts are in. ``listeners`` are told of each
    credit as of a settled payment (platform events, metrics). ``match_window``: how far back
    an unpaid order may be matched by phone and amount.
    """

    def __init__(
        self,
        units: TillUnitOfWorkFactory,
        *,
        clock: Clock,
        staff: StaffChat | None = None,
        listeners: Sequence[SettlementListener] = (),
        language: Language = "en",
        sms: bool = False,
        match_window: timedelta = timedelta(days=14),
    ) -> None:
        self._units = units
        self._clock = clock
        self.clock = clock  # what the till's other workers read the time from
        self._listeners = tuple(listeners)
        self._language: Language = language
        self._sms = sms
        self._match_window = match_window
        self.match_window = match_window  # what a waiting confirmation is matched within
        self.notices = TillNotices(clock=clock, staff=staff)

    async def record(
        self,
        payment: TillPayment,
        *,
        source: LedgerSource,
        order_reference: str | None = None,
        by: str | None = None,
        customer: tuple[Channel, str] | None = None,
        received: ReceivedBody | None = None,
    ) -> CreditResult:
        """Write ``payment`` once and credit it: to ``order_reference`` when given, else to
        what it matches; a transaction nobody can match is queued and the staff told.

        ``customer`` is the chat that asked ("I already paid"); ``received`` the body as it
        came, kept in the same transaction.
        """
        async with self._units() as unit:
            result = await self.record_in(
                unit,
                payment,
                source=source,
                order_reference=order_reference,
                by=by,
                customer=customer,
            )
            if result.outcome is CreditOutcome.WAITING:
                await unit.rollback()  # left out of the ledger until its push settles
            if received is not None:
                body_id = await unit.callback_bodies.add(
                    received,
                    status=_BODY_STATUS.get(result.outcome, BodyStatus.SETTLED),
                    note=_note(payment, result),
                )
                written = result.outcome not in (CreditOutcome.DUPLICATE, CreditOutcome.WAITING)
                if written and result.entry is not None:
                    await unit.till.attach_body(result.entry.id, body_id)
            await unit.commit()
        log.info(
            "till transaction %s (KES %s, %s) from %s: %s",
            payment.transaction_id,
            payment.amount,
            _masked(payment.msisdn),
            source.value,
            result.outcome.value,
        )
        return result

    async def record_in(
        self,
        unit: TillUnitOfWork,
        payment: TillPayment,
        *,
        source: LedgerSource,
        order_reference: str | None = None,
        by: str | None = None,
        customer: tuple[Channel, str] | None = None,
    ) -> CreditResult:
        """:meth:`record` inside ``unit`` (a statement pass records many in one).

        A WAITING result wrote the ledger row: the caller rolls it back (or uses a savepoint).
        """
        now = self._clock()
        entry = await unit.till.add(payment, source=source, now=now)
        if entry is None:
            return await self._again(unit, payment, order_reference, by, customer)
        chat = await self._asking_chat(unit, customer)
        match = await find_match(
            unit, payment, now=now, window=self._match_window, pending_window=PENDING_WINDOW
        )
        # An STK payment's own money is never credited again, even to an order named here.
        if order_reference is not None and match.kind not in _STK_KINDS:
            reference = parse_order_reference(order_reference)
            order = await unit.orders.get(reference) if reference else None
            if order is not None:
                how = "status" if source is LedgerSource.STATUS else "staff"
                return await self._credit(unit, entry, order, chat, how=how, by=by)
        return await self._apply(unit, entry, match, chat, by)

    async def keep(self, received: ReceivedBody, *, note: str) -> None:
        """Keep a body Safaricom sent that has nothing to credit (a Pull notice)."""
        async with self._units() as unit:
            await unit.callback_bodies.keep(received, status=BodyStatus.NOTED, note=note[:200])
            await unit.commit()

    async def known(self, transaction_id: str) -> LedgerEntry | Payment | None:
        """The ledger entry of this transaction id, or the STK payment with it as its receipt."""
        code = transaction_id.strip().upper()
        async with self._units() as unit:
            entry = await unit.till.get(code)
            if entry is not None:
                return entry
            return await unit.till.by_receipt(code)

    async def unmatched(self, *, limit: int) -> tuple[Sequence[LedgerEntry], int]:
        """The staff's queue (oldest first, at most ``limit``) and how long it is."""
        async with self._units() as unit:
            return await unit.till.unmatched(limit=limit), await unit.till.count_unmatched()

    async def suggestions(self, amount: int, *, limit: int) -> list[str]:
        """References of the newest unpaid orders whose balance is ``amount`` (for buttons)."""
        since = self._clock() - self._match_window
        async with self._units() as unit:
            found = await unit.till.candidates(amount, since=since, limit=limit)
        return [candidate.order.reference for candidate in found]

    async def credit_to_order(
        self, transaction_id: str, order_reference: str, *, by: str
    ) -> CreditResult:
        """Credit a queued transaction to an order (the staff's "Credit to order …")."""
        code = transaction_id.strip().upper()
        async with self._units() as unit:
            entry = await unit.till.get(code)
            if entry is None:
                return CreditResult(CreditOutcome.NO_SUCH_TRANSACTION)
            if entry.state is not LedgerState.UNMATCHED:
                return CreditResult(CreditOutcome.DUPLICATE, entry)
            reference = parse_order_reference(order_reference)
            order = await unit.orders.get(reference) if reference else None
            if order is None:
                return CreditResult(CreditOutcome.NO_SUCH_ORDER, entry)
            result = await self._credit(unit, entry, order, None, how="staff", by=by)
            await unit.commit()
        return result

    async def not_ours(self, transaction_id: str, *, by: str) -> CreditResult:
        """Mark a queued transaction as belonging to no order of Lipa's."""
        code = transaction_id.strip().upper()
        async with self._units() as unit:
            entry = await unit.till.get(code)
            if entry is None:
                return CreditResult(CreditOutcome.NO_SUCH_TRANSACTION)
            resolved = await unit.till.resolve(
                entry.id,
                state=LedgerState.NOT_OURS,
                now=self._clock(),
                by=by,
                expect=LedgerState.UNMATCHED,
            )
            if resolved is None:
                return CreditResult(CreditOutcome.DUPLICATE, entry)
            await self.notices.not_ours(unit, entry.payment, by)
            await unit.commit()
        return CreditResult(CreditOutcome.NOT_OURS, resolved)

    async def _again(
        self,
        unit: TillUnitOfWork,
        payment: TillPayment,
        order_reference: str | None,
        by: str | None,
        customer: tuple[Channel, str] | None,
    ) -> CreditResult:
        """A transaction already in the ledger: nothing changes, unless it waits in the queue
        and the caller names its order (a customer's "I already paid" for a queued code)."""
        entry = await unit.till.get(payment.transaction_id)
        assert entry is not None
        if entry.state is LedgerState.UNMATCHED and order_reference is not None:
            reference = parse_order_reference(order_reference)
            order = await unit.orders.get(reference) if reference else None
            if order is not None:
                chat = await self._asking_chat(unit, customer)
                return await self._credit(unit, entry, order, chat, how="status", by=by)
        return CreditResult(CreditOutcome.DUPLICATE, entry)

    async def _apply(
        self,
        unit: TillUnitOfWork,
        entry: LedgerEntry,
        match: Match,
        chat: PayerChat | None,
        by: str | None,
    ) -> CreditResult:
        if match.kind is MatchKind.PENDING:
            return CreditResult(CreditOutcome.WAITING, entry, payment=match.payment)
        if match.kind in (MatchKind.RECEIPT, MatchKind.RECEIPTLESS):
            stk = match.payment
            assert stk is not None
            if match.kind is MatchKind.RECEIPTLESS:
                stk = await self._fill_in_receipt(unit, entry.payment, stk)
            resolved = await unit.till.resolve(
                entry.id,
                state=LedgerState.MATCHED,
                now=self._clock(),
                order_reference=stk.order_reference,
                payment_id=stk.id,
            )
            return CreditResult(CreditOutcome.MATCHED, resolved, payment=stk)
        if match.order is not None:
            chat = chat or match.chat
            return await self._credit(unit, entry, match.order, chat, how=match.kind.value, by=by)
        await self.notices.queued(unit, entry.payment)
        return CreditResult(CreditOutcome.QUEUED, entry)

    async def _fill_in_receipt(
        self, unit: TillUnitOfWork, payment: TillPayment, stk: Payment
    ) -> Payment:
        """Give a query-settled STK payment the receipt the statement shows for it."""
        details = ReceiptDetails(
            receipt_number=payment.transaction_id,
            transaction_date=payment.paid_at,
            reported_amount=payment.amount,
        )
        await unit.payments.fill_in_receipt(stk.id, details, now=self._clock())
        filled = await unit.payments.get(stk.id)
        assert filled is not None
        log.info("payment %s got its receipt from the statement", stk.id)
        return filled

    async def _credit(
        self,
        unit: TillUnitOfWork,
        entry: LedgerEntry,
        order: Order,
        chat: PayerChat | None,
        *,
        how: str,
        by: str | None,
    ) -> CreditResult:
        """Turn the entry into a paid till payment of ``order`` and tell who needs to know."""
        now = self._clock()
        resolved = await unit.till.resolve(
            entry.id,
            state=LedgerState.CREDITED,
            now=now,
            order_reference=order.reference,
            by=by,
            expect=LedgerState.UNMATCHED,
        )
        if resolved is None:  # resolved by someone else since we read it
            again = await unit.till.get(entry.payment.transaction_id)
            return CreditResult(CreditOutcome.DUPLICATE, again)
        paid = entry.payment
        phone = msisdn_phone(paid.msisdn)
        if chat is None:
            chat = await unit.till.chat_of_order(order.reference)
        if chat is None and phone is not None:
            chat = await unit.till.chat_of_phone(phone)
        if chat is None and phone is not None and self._sms:
            chat = PayerChat(Channel.USSD, phone, self._language)
        stored_chat = chat or PayerChat(Channel.WEB, order.reference, self._language)
        payment = await unit.till.credit(
            paid,
            order.reference,
            phone=phone or paid.msisdn or "",
            chat=stored_chat,
            now=now,
        )
        resolved = await unit.till.resolve(
            entry.id,
            state=LedgerState.CREDITED,
            now=now,
            order_reference=order.reference,
            payment_id=payment.id,
            by=by,
        )
        credited = await unit.orders.record_paid(order.reference, paid.amount)
        if chat is not None and chat.customer_id is not None and paid.payer_name:
            await _remember_name(unit, chat.customer_id, paid.payer_name, now)
        await self.notices.credited(unit, paid, credited, chat, how=how, by=by)
        for listener in self._listeners:
            await listener.payment_settled(unit, payment, credited)
        return CreditResult(CreditOutcome.CREDITED, resolved, credited, payment)

    async def _asking_chat(
        self, unit: TillUnitOfWork, customer: tuple[Channel, str] | None
    ) -> PayerChat | None:
        if customer is None:
            return None
        channel, chat_key = customer
        return await unit.till.chat_of(channel, chat_key) or PayerChat(
            channel, chat_key, self._language
        )


async def _remember_name(unit: TillUnitOfWork, customer_id: int, name: str, now: datetime) -> None:
    """M-Pesa's name for a payer who has none yet (the name they gave Telegram stays)."""
    if customer_id not in await unit.customers.names([customer_id]):
        await unit.customers.set_name(customer_id, name, now=now)


# How long before a transaction an STK push may have been sent and still be its own.
PENDING_WINDOW = timedelta(minutes=15)
# Matches that make a transaction the money of an STK payment Lipa asked for.
_STK_KINDS = frozenset({MatchKind.RECEIPT, MatchKind.RECEIPTLESS, MatchKind.PENDING})


def _masked(msisdn: str | None) -> str:
    if not msisdn:
        return "-"
    return msisdn[:8] + "…" if len(msisdn) == 64 else mask_phone(msisdn)


def _note(payment: TillPayment, result: CreditResult) -> str:
    return f"till {payment.transaction_id}: {result.outcome.value}"
