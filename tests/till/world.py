"""A database, a hand-moved clock and the till's services, for the till's tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from checkout.domain.records import (
    Channel,
    Language,
    Order,
    Payment,
    PaymentStatus,
    StaffChat,
)
from checkout.payments.ports import NewPayment, Settlement
from checkout.till.credit import TillCredits
from checkout.till.records import TillPayment
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnitOfWork

UowFactory = Callable[[], SqlUnitOfWork]
PHONE = "254712345678"


class TillWorld:
    """Till credits around one database, with helpers to make orders, payments, customers."""

    def __init__(self, uow: UowFactory, *, sms: bool = False) -> None:
        self.uow = uow
        self.clock = SettableClock()
        self.credits = TillCredits(uow, clock=self.clock, staff=StaffChat("-100"), sms=sms)

    def later(self, seconds: float) -> None:
        self.clock.now += timedelta(seconds=seconds)

    def c2b(
        self, code: str, amount: int, *, account: str | None, msisdn: str | None = PHONE
    ) -> TillPayment:
        return TillPayment(
            transaction_id=code,
            amount=amount,
            paid_at=self.clock(),
            account=account,
            msisdn=msisdn,
            payer_name="JOHN DOE",
            kind="Pay Bill",
            shortcode="600638",
        )

    async def order(self, reference: str, amount: int, *, phone: str | None = None) -> None:
        async with self.uow() as unit:
            await unit.order_book.create_if_absent(
                reference, amount, description=None, customer_phone=phone, now=self.clock()
            )
            await unit.commit()

    async def order_now(self, reference: str) -> Order:
        async with self.uow() as unit:
            order = await unit.orders.get(reference)
        assert order is not None
        return order

    async def stk(
        self,
        reference: str,
        amount: int,
        *,
        receipt: str | None,
        status: PaymentStatus = PaymentStatus.PAID,
        phone: str = PHONE,
    ) -> int:
        """An STK payment of the order, settled as ``status`` (paid: the order credited)."""
        await self.order(reference, amount)
        async with self.uow() as unit:
            payment = await unit.payments.create_pending(
                NewPayment(reference, None, Channel.TELEGRAM, "42", amount, phone, "en"),
                now=self.clock(),
            )
            if status is not PaymentStatus.PENDING:
                await unit.payments.settle(
                    payment.id,
                    Settlement(status, 0, "ok", receipt_number=receipt),
                    now=self.clock(),
                )
                if status is PaymentStatus.PAID:
                    await unit.orders.record_paid(reference, amount)
            await unit.commit()
        return payment.id

    async def payment(self, payment_id: int) -> Payment:
        async with self.uow() as unit:
            found = await unit.payments.get(payment_id)
        assert found is not None
        return found

    async def customer(
        self, channel: Channel, chat_key: str, phone: str, *, language: Language = "en"
    ) -> None:
        async with self.uow() as unit:
            await unit.customers.get_or_create(
                channel, chat_key, language=language, now=self.clock(), phone=phone
            )
            await unit.commit()

    async def outbox(self) -> list[dict[str, Any]]:
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=1), limit=100, lease_seconds=1
            )
        return [{"chat": m.chat_key, "channel": m.channel.value, **m.payload} for m in claimed]
