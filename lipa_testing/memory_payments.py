"""Orders, payments and the order book of the in-memory unit of work (``memory_units``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from checkout.domain.records import Channel, Order, OrderStatus, Payment, PaymentStatus
from checkout.domain.summaries import PaymentCursor, PaymentPage
from checkout.payments.ports import NewPayment, ReceiptDetails, Settlement
from checkout.payments.settling.results import settled_copy
from lipa_testing.memory_tables import OrderRow, PaymentRow

if TYPE_CHECKING:
    from lipa_testing.memory_units import MemoryUnit


class OrderExists(Exception):
    """An order with this reference exists (the databases raise their IntegrityError)."""


def _paid(order: Order, amount: int) -> Order:
    paid = order.amount_paid + amount
    status = OrderStatus.PAID if order.amount_due <= paid else OrderStatus.PARTLY_PAID
    return replace(order, amount_paid=paid, status=status)


class MemoryOrderRepository:
    """Implements ``checkout.payments.ports.OrderRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def get(self, reference: str) -> Order | None:
        row = self._unit.read().orders.get(reference)
        return row.order if row is not None else None

    async def hold(self, reference: str) -> Order | None:
        await self._unit.write()  # the one writer: nobody changes it until this unit ends
        return await self.get(reference)

    async def create(
        self, reference: str, amount_due: int, *, known: bool, description: str | None = None
    ) -> Order:
        orders = (await self._unit.write()).orders
        if reference in orders:
            raise OrderExists(reference)
        order = Order(reference, amount_due, 0, OrderStatus.OPEN, known, description)
        orders[reference] = OrderRow(self._unit.next_id("orders"), order)
        return order

    async def raise_amount_due(self, reference: str, amount_due: int) -> Order:
        orders = (await self._unit.write()).orders
        row = orders.get(reference)
        if row is None:
            raise LookupError(f"no order {reference!r}")
        order = row.order
        if order.amount_due < amount_due:
            if order.amount_paid >= amount_due:
                status = OrderStatus.PAID
            else:
                status = OrderStatus.PARTLY_PAID if order.amount_paid > 0 else OrderStatus.OPEN
            order = replace(order, amount_due=amount_due, status=status)
            orders[reference] = replace(row, order=order)
        return order

    async def record_paid(self, reference: str, amount: int) -> Order:
        return (await self.record_paid_many({reference: amount}))[reference]

    async def record_paid_many(self, amounts: dict[str, int]) -> dict[str, Order]:
        orders = (await self._unit.write()).orders
        missing = [reference for reference in amounts if reference not in orders]
        if len(amounts) == 1 and missing:
            raise LookupError(f"no order {missing[0]!r}")
        changed: dict[str, Order] = {}
        for reference, amount in amounts.items():
            row = orders.get(reference)
            if row is not None:
                changed[reference] = _paid(row.order, amount)
                orders[reference] = replace(row, order=changed[reference])
        return changed


def _phone_matches(phone: str, pattern: str | None) -> bool:
    """Whether ``phone`` matches a phone in which ``*`` stands for any one digit."""
    if pattern is None:
        return True
    return re.fullmatch(".".join(re.escape(part) for part in pattern.split("*")), phone) is not None


class MemoryPaymentRepository:
    """Implements ``checkout.payments.ports.PaymentRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    def _all(self) -> list[Payment]:
        return [row.payment for row in self._unit.read().payments.values()]

    async def _change(self, payment_id: int, when: bool, payment: Payment) -> bool:
        """Store ``payment`` if ``when`` holds of the stored one; whether it did."""
        payments = (await self._unit.write()).payments
        row = payments.get(payment_id)
        if row is None or not when:
            return False
        payments[payment_id] = replace(row, payment=payment)
        return True

    async def create_pending(self, new: NewPayment, *, now: datetime) -> Payment:
        tables = await self._unit.write()
        if new.order_reference not in tables.orders:
            raise LookupError(f"no order {new.order_reference!r}")
        payment = new.pending(self._unit.next_id("payments"), now)
        tables.payments[payment.id] = PaymentRow(payment)
        return payment

    async def get(self, payment_id: int) -> Payment | None:
        row = self._unit.read().payments.get(payment_id)
        return row.payment if row is not None else None

    async def by_checkout_request_id(self, checkout_request_id: str) -> Payment | None:
        found = await self.by_checkout_request_ids([checkout_request_id])
        return found.get(checkout_request_id)

    async def mark_requested(
        self, payment_id: int, *, merchant_request_id: str, checkout_request_id: str
    ) -> None:
        payment = await self.get(payment_id)
        if payment is not None:
            requested = replace(
                payment,
                merchant_request_id=merchant_request_id,
                checkout_request_id=checkout_request_id,
            )
            await self._change(payment_id, True, requested)

    async def settle(self, payment_id: int, settlement: Settlement, *, now: datetime) -> bool:
        return payment_id in await self.settle_many({payment_id: settlement}, now=now)

    async def settle_many(self, settlements: dict[int, Settlement], *, now: datetime) -> set[int]:
        await self._unit.write()
        settled: set[int] = set()
        for payment_id, settlement in settlements.items():
            payment = await self.get(payment_id)
            if payment is None:
                continue
            pending = payment.status is PaymentStatus.PENDING
            if await self._change(payment_id, pending, settled_copy(payment, settlement, now)):
                settled.add(payment_id)
        return settled

    async def settle_late_success(
        self, payment_id: int, settlement: Settlement, *, now: datetime
    ) -> bool:
        await self._unit.write()
        payment = await self.get(payment_id)
        if payment is None:
            return False
        given_up = payment.status in (PaymentStatus.EXPIRED, PaymentStatus.FAILED)
        late = given_up and payment.receipt_number is None
        return await self._change(payment_id, late, settled_copy(payment, settlement, now))

    async def fill_in_receipt(
        self, payment_id: int, details: ReceiptDetails, *, now: datetime
    ) -> PaymentStatus | None:
        await self._unit.write()
        payment = await self.get(payment_id)
        if payment is None or payment.status is not PaymentStatus.PAID or payment.receipt_number:
            return None
        other_amount = details.reported_amount not in (None, payment.amount)
        filled = replace(
            payment,
            receipt_number=details.receipt_number,
            transaction_date=details.transaction_date,
            reported_amount=details.reported_amount,
            status=PaymentStatus.MISMATCHED if other_amount else payment.status,
        )
        await self._change(payment_id, True, filled)
        return filled.status

    async def by_checkout_request_ids(
        self, checkout_request_ids: Sequence[str]
    ) -> dict[str, Payment]:
        wanted = set(checkout_request_ids)
        return {
            p.checkout_request_id: p
            for p in self._all()
            if p.checkout_request_id is not None and p.checkout_request_id in wanted
        }

    async def latest_for_chat(self, channel: Channel, chat_key: str) -> Payment | None:
        found = await self.recent_for_chat(channel, chat_key, 1)
        return found[0] if found else None

    async def recent_for_chat(
        self, channel: Channel, chat_key: str, limit: int
    ) -> Sequence[Payment]:
        mine = [p for p in self._all() if p.channel is channel and p.chat_key == chat_key]
        return sorted(mine, key=lambda p: p.id, reverse=True)[:limit]

    async def pending_for_order(self, order_reference: str) -> Sequence[Payment]:
        return sorted(
            (
                p
                for p in self._all()
                if p.order_reference == order_reference and p.status is PaymentStatus.PENDING
            ),
            key=lambda p: p.id,
        )

    async def claim_for_check(
        self, *, now: datetime, created_before: datetime, limit: int, lease_seconds: float
    ) -> Sequence[Payment]:
        payments = (await self._unit.write()).payments
        due = sorted(
            (
                row
                for row in payments.values()
                if row.payment.status is PaymentStatus.PENDING
                and row.payment.created_at <= created_before
                and (row.next_check_at is None or row.next_check_at <= now)
            ),
            key=lambda row: (row.payment.created_at, row.payment.id),
        )[:limit]
        lease_until = now + timedelta(seconds=lease_seconds)
        for row in due:
            attempts = row.payment.check_attempts + 1
            payment = replace(row.payment, check_attempts=attempts)
            payments[payment.id] = PaymentRow(payment, next_check_at=lease_until)
        return sorted((payments[row.payment.id].payment for row in due), key=lambda p: p.id)

    async def unrequested(
        self, *, amount: int, created_after: datetime, phone: str | None
    ) -> Sequence[Payment]:
        queued = {
            push.payment_id
            for push in self._unit.read().pushes.values()
            if push.claimed_until is None and push.finished_at is None
        }
        return sorted(
            (
                p
                for p in self._all()
                if p.status is PaymentStatus.PENDING
                and p.checkout_request_id is None
                and p.amount == amount
                and p.created_at > created_after
                and _phone_matches(p.phone, phone)
                and p.id not in queued
            ),
            key=lambda p: p.id,
        )

    async def schedule_check(self, payment_id: int, *, at: datetime) -> None:
        payments = (await self._unit.write()).payments
        if payment_id in payments:
            payments[payment_id] = replace(payments[payment_id], next_check_at=at)


class MemoryOrderBookRepository:
    """Implements ``checkout.payments.ports.OrderBookRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def create_if_absent(
        self,
        reference: str,
        amount_due: int,
        *,
        description: str | None,
        customer_phone: str | None,
        now: datetime,
    ) -> Order | None:
        orders = (await self._unit.write()).orders
        if reference in orders:
            return None
        order = Order(reference, amount_due, 0, OrderStatus.OPEN, True, description, customer_phone)
        orders[reference] = OrderRow(self._unit.next_id("orders"), order)
        return order

    async def payments_for_order(self, reference: str) -> Sequence[Payment]:
        payments = self._unit.read().payments.values()
        return sorted(
            (row.payment for row in payments if row.payment.order_reference == reference),
            key=lambda p: p.id,
        )

    async def order_with_payments(self, reference: str) -> tuple[Order, Sequence[Payment]] | None:
        row = self._unit.read().orders.get(reference)
        if row is None:
            return None
        return row.order, await self.payments_for_order(reference)

    async def settled_page(
        self, *, since: datetime, after: PaymentCursor | None, limit: int
    ) -> PaymentPage:
        settled = sorted(
            (
                (row.payment.settled_at, row.payment.id, row.payment)
                for row in self._unit.read().payments.values()
                if row.payment.settled_at is not None and row.payment.settled_at >= since
            ),
            key=lambda item: (item[0], item[1]),
        )
        if after is not None:
            settled = [item for item in settled if item[:2] > (after.settled_at, after.payment_id)]
        page = tuple(payment for _, _, payment in settled[:limit])
        cursor = None
        if len(settled) > limit:
            last = page[-1]
            assert last.settled_at is not None  # chosen for being settled
            cursor = PaymentCursor(settled_at=last.settled_at, payment_id=last.id)
        return PaymentPage(payments=page, next_cursor=cursor)
