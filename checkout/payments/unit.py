"""The unit of work payments run in, and the hooks the settling transaction calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from checkout.domain.outcomes import PaymentOutcome
from checkout.domain.records import Order, Payment
from checkout.outbox.ports import OutboxUnitOfWork
from checkout.payments.ports import (
    AuditRepository,
    CallbackBodyRepository,
    CustomerRepository,
    OrderBookRepository,
    OrderRepository,
    PaymentRepository,
    PushLimitRepository,
    PushRequestRepository,
)


class UnitOfWork(OutboxUnitOfWork, Protocol):
    """One database transaction spanning the repositories payments need (areas above add
    their own: see ``PlanUnitOfWork``, ``ConversationUnitOfWork``, ``UssdUnitOfWork``,
    ``ReportUnitOfWork``)."""

    @property
    def orders(self) -> OrderRepository:
        """The order repository of this unit."""
        ...

    @property
    def payments(self) -> PaymentRepository:
        """The payment repository of this unit."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The payment audit trail of this unit."""
        ...

    @property
    def callback_bodies(self) -> CallbackBodyRepository:
        """The kept callback bodies of this unit."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """The customer repository of this unit."""
        ...

    @property
    def order_book(self) -> OrderBookRepository:
        """The order book of this unit (staff and platform orders)."""
        ...

    @property
    def pushes(self) -> PushRequestRepository:
        """The pushes waiting for their USSD session to end, of this unit."""
        ...

    @property
    def push_limits(self) -> PushLimitRepository:
        """The pushes people asked for, counted for the push limits, of this unit."""
        ...

    @property
    def writes_in_turn(self) -> bool:
        """Whether the database runs one writing transaction at a time (SQLite, the memory
        store): once this unit has written, no other can commit until it ends, and what it
        reads sees every commit made before its first write."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class SettlementListener(Protocol):
    """Told of each payment as it settles, inside the settling transaction (events, metrics)."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """React to ``payment`` having settled; ``order`` is given when it was paid."""
        ...

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Called before :meth:`payment_settled` for several payments (as they settle), to
        look them up at once."""
        ...


class SettledOutcomeHook(Protocol):
    """Adds what it decides about a settled payment to its outcome, inside the settling
    transaction; the presenter says it (:func:`checkout.i18n.payments.messages.customer_reply`).

    Buy-Now-Pay-Later settles a plan's installment with its payment here (the plan's news),
    and offers "Pay later" under a payment that failed for lack of balance; the other way to
    pay and the receipt's link are added the same way.
    """

    async def settled(self, unit: UnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        """``outcome`` with what this hook decided (often ``outcome`` itself)."""
        ...

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Called before :meth:`settled` for several payments, to look them up at once."""
        ...
