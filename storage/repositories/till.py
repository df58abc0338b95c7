"""The till's ledger (``mpesa_transactions``) and the ``payments`` rows it credits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import (
    Channel,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from checkout.till.ports import Candidate, LedgerTotals, PayerChat
from checkout.till.records import LedgerEntry, LedgerSource, LedgerState, TillPayment
from storage.models import CustomerRow, MpesaTransactionRow, OrderRow
from storage.repositories.orders import to_order
from storage.repositories.payments import (
    PAYMENTS,
    PAYMENTS_WITH_REFERENCE,
    to_payment,
    to_payments,
)

LEDGER = cast(Table, MpesaTransactionRow.__table__)
ORDERS = cast(Table, OrderRow.__table__)
CUSTOMERS = cast(Table, CustomerRow.__table__)
_INSERT = {
    name: dialect.insert(LEDGER).on_conflict_do_nothing(index_elements=["transaction_id"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def to_entry(row: Row[Any]) -> LedgerEntry:
    """The checkout record for a ledger row."""
    return LedgerEntry(
        id=row.id,
        payment=TillPayment(
            transaction_id=row.transaction_id,
            amount=row.amount,
            paid_at=row.paid_at,
            account=row.account,
            msisdn=row.msisdn,
            payer_name=row.payer_name,
            kind=row.kind,
            shortcode=row.shortcode,
        ),
        source=LedgerSource(row.source),
        state=LedgerState(row.state),
        recorded_at=row.recorded_at,
        order_reference=row.order_reference,
        payment_id=row.payment_id,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


def _chat(row: Row[Any, Any, Any, Any]) -> PayerChat:
    return PayerChat(
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        language="sw" if row.language == "sw" else "en",
        customer_id=row.customer_id,
    )


def _cut(text: str | None, length: int) -> str | None:
    return text[:length] if text is not None else None


class SqlTillRepository:
    """The ledger of M-Pesa transactions in ``mpesa_transactions``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        payment: TillPayment,
        *,
        source: LedgerSource,
        now: datetime,
        body_id: int | None = None,
    ) -> LedgerEntry | None:
        """Write the transaction as unmatched; None (and no change) if its id is in already."""
        insert = _INSERT[self._session.get_bind().dialect.name]
        row = (
            await self._session.execute(
                insert.values(
                    transaction_id=payment.transaction_id,
                    amount=payment.amount,
                    paid_at=payment.paid_at,
                    account=_cut(payment.account, 100),
                    msisdn=_cut(payment.msisdn, 80),
                    payer_name=_cut(payment.payer_name, 120),
                    kind=_cut(payment.kind, 40),
                    shortcode=_cut(payment.shortcode, 16),
                    source=source.value,
                    state=LedgerState.UNMATCHED.value,
                    recorded_at=now,
                    body_id=body_id,
                ).returning(*LEDGER.c)
            )
        ).first()
        return to_entry(row) if row is not None else None

    async def get(self, transaction_id: str) -> LedgerEntry | None:
        """The ledger entry of this transaction id, or None."""
        row = (
            await self._session.execute(
                select(LEDGER).where(LEDGER.c.transaction_id == transaction_id)
            )
        ).first()
        return to_entry(row) if row is not None else None

    async def resolve(
        self,
        entry_id: int,
        *,
        state: LedgerState,
        now: datetime,
        order_reference: str | None = None,
        payment_id: int | None = None,
        by: str | None = None,
        expect: LedgerState | None = None,
    ) -> LedgerEntry | None:
        """Record what became of an entry; None (no change) unless it is in ``expect`` state.

        The UPDATE's condition is the claim: of two staff pressing at once, one resolves it.
        """
        statement = update(LEDGER).where(LEDGER.c.id == entry_id)
        if expect is not None:
            statement = statement.where(LEDGER.c.state == expect.value)
        row = (
            await self._session.execute(
                statement.values(
                    state=state.value,
                    order_reference=order_reference,
                    payment_id=payment_id,
                    resolved_by=_cut(by, 64),
                    resolved_at=now,
                ).returning(*LEDGER.c)
            )
        ).first()
        return to_entry(row) if row is not None else None

    async def attach_body(self, entry_id: int, body_id: int) -> None:
        """Link the entry to the callback body it came in."""
        await self._session.execute(
            update(LEDGER).where(LEDGER.c.id == entry_id).values(body_id=body_id)
        )

    async def credit(
        self,
        payment: TillPayment,
        order_reference: str,
        *,
        phone: str,
        chat: PayerChat,
        now: datetime,
    ) -> Payment:
        """Store a paid till payment against the order (its amount is not yet credited)."""
        order_id = await self._session.scalar(
            select(ORDERS.c.id).where(ORDERS.c.reference == order_reference)
        )
        if order_id is None:
            raise LookupError(f"no order {order_reference!r}")
        row = (
            await self._session.execute(
                PAYMENTS.insert()
                .values(
                    order_id=order_id,
                    customer_id=chat.customer_id,
                    channel=chat.channel.value,
                    chat_key=chat.chat_key[:64],
                    language=chat.language,
                    amount=payment.amount,
                    phone=phone[:64],
                    status=PaymentStatus.PAID.value,
                    method=PaymentMethod.TILL.value,
                    result_code=0,
                    result_description="Paid to the till",
                    receipt_number=payment.transaction_id,
                    transaction_date=payment.paid_at,
                    reported_amount=payment.amount,
                    created_at=now,
                    requested_at=None,
                    settled_at=now,
                    updated_at=now,
                    check_attempts=0,
                )
                .returning(*PAYMENTS.c)
            )
        ).one()
        return to_payment(row, order_reference)

    async def by_receipt(self, receipt: str) -> Payment | None:
        """The STK payment with this receipt number, or None."""
        rows = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(
                PAYMENTS.c.receipt_number == receipt,
                PAYMENTS.c.method == PaymentMethod.STK.value,
            ).order_by(PAYMENTS.c.id)
        )
        found = to_payments(rows)
        return found[0] if found else None

    async def candidates(self, amount: int, *, since: datetime, limit: int) -> Sequence[Candidate]:
        """Unpaid orders created after ``since`` whose balance is ``amount``, newest first."""
        orders = [
            to_order(row)
            for row in await self._session.execute(
                select(ORDERS)
                .where(
                    # A cancelled order owes nothing: no payment is matched to it.
                    ORDERS.c.status.not_in([OrderStatus.PAID.value, OrderStatus.CANCELLED.value]),
                    ORDERS.c.amount_due - ORDERS.c.amount_paid == amount,
                    ORDERS.c.created_at >= since,
                )
                .order_by(ORDERS.c.id.desc())
                .limit(limit)
            )
        ]
        if not orders:
            return []
        phones: dict[str, set[str]] = {
            order.reference: {order.customer_phone} if order.customer_phone else set()
            for order in orders
        }
        rows = await self._session.execute(
            select(ORDERS.c.reference, PAYMENTS.c.phone)
            .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
            .where(ORDERS.c.reference.in_(list(phones)))
            .distinct()
        )
        for reference, phone in rows:
            phones[reference].add(phone)
        return [Candidate(order, tuple(sorted(phones[order.reference]))) for order in orders]

    async def _stk_in_window(
        self, status: PaymentStatus, amount: int, after: datetime, before: datetime
    ) -> Sequence[Payment]:
        conditions = [
            PAYMENTS.c.status == status.value,
            PAYMENTS.c.method == PaymentMethod.STK.value,
            PAYMENTS.c.amount == amount,
            PAYMENTS.c.created_at >= after,
            PAYMENTS.c.created_at <= before,
        ]
        if status is PaymentStatus.PAID:
            conditions.append(PAYMENTS.c.receipt_number.is_(None))
        rows = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(*conditions).order_by(PAYMENTS.c.id)
        )
        return to_payments(rows)

    async def receiptless(
        self, amount: int, *, after: datetime, before: datetime
    ) -> Sequence[Payment]:
        """Paid STK payments of ``amount`` without a receipt, created in the window."""
        return await self._stk_in_window(PaymentStatus.PAID, amount, after, before)

    async def pending_like(
        self, amount: int, *, after: datetime, before: datetime
    ) -> Sequence[Payment]:
        """Pending STK payments of ``amount`` created in the window."""
        return await self._stk_in_window(PaymentStatus.PENDING, amount, after, before)

    async def chat_of_order(self, order_reference: str) -> PayerChat | None:
        """The chat of the order's latest payment made from a chat, if any."""
        row = (
            await self._session.execute(
                select(
                    PAYMENTS.c.channel,
                    PAYMENTS.c.chat_key,
                    PAYMENTS.c.language,
                    PAYMENTS.c.customer_id,
                )
                .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
                .where(
                    ORDERS.c.reference == order_reference,
                    PAYMENTS.c.channel != Channel.WEB.value,
                )
                .order_by(PAYMENTS.c.id.desc())
                .limit(1)
            )
        ).first()
        return _chat(row) if row is not None else None

    async def chat_of(self, channel: Channel, chat_key: str) -> PayerChat | None:
        """The customer of this chat as a payer chat (with their language), if known."""
        row = (
            await self._session.execute(
                select(
                    CUSTOMERS.c.channel,
                    CUSTOMERS.c.chat_key,
                    CUSTOMERS.c.language,
                    CUSTOMERS.c.id.label("customer_id"),
                ).where(CUSTOMERS.c.channel == channel.value, CUSTOMERS.c.chat_key == chat_key)
            )
        ).first()
        return _chat(row) if row is not None else None

    async def chat_of_phone(self, phone: str) -> PayerChat | None:
        """A chat customer with this phone (Telegram first, then WhatsApp), if any."""
        preference = case((CUSTOMERS.c.channel == Channel.TELEGRAM.value, 0), else_=1)
        row = (
            await self._session.execute(
                select(
                    CUSTOMERS.c.channel,
                    CUSTOMERS.c.chat_key,
                    CUSTOMERS.c.language,
                    CUSTOMERS.c.id.label("customer_id"),
                )
                .where(
                    CUSTOMERS.c.phone == phone,
                    CUSTOMERS.c.channel.in_([Channel.TELEGRAM.value, Channel.WHATSAPP.value]),
                )
                .order_by(preference, CUSTOMERS.c.updated_at.desc())
                .limit(1)
            )
        ).first()
        return _chat(row) if row is not None else None

    async def unmatched(self, *, limit: int) -> Sequence[LedgerEntry]:
        """The staff's queue, oldest first."""
        rows = await self._session.execute(
            select(LEDGER)
            .where(LEDGER.c.state == LedgerState.UNMATCHED.value)
            .order_by(LEDGER.c.id)
            .limit(limit)
        )
        return [to_entry(row) for row in rows]

    async def count_unmatched(self) -> int:
        """How many transactions wait in the staff's queue."""
        count = await self._session.scalar(
            select(func.count()).where(LEDGER.c.state == LedgerState.UNMATCHED.value)
        )
        return int(count or 0)

    async def totals(self, *, paid_from: datetime, paid_to: datetime) -> LedgerTotals:
        """The ledger's transactions paid in ``[paid_from, paid_to)``."""

        def count(*states: LedgerState) -> Any:
            return func.coalesce(
                func.sum(case((LEDGER.c.state.in_([s.value for s in states]), 1), else_=0)), 0
            )

        row = (
            await self._session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(LEDGER.c.amount), 0),
                    count(LedgerState.CREDITED, LedgerState.MATCHED),
                    count(LedgerState.UNMATCHED),
                    count(LedgerState.NOT_OURS),
                ).where(LEDGER.c.paid_at >= paid_from, LEDGER.c.paid_at < paid_to)
            )
        ).one()
        return LedgerTotals(
            count=int(row[0]),
            amount=int(row[1]),
            matched=int(row[2]),
            unmatched=int(row[3]),
            not_ours=int(row[4]),
        )
