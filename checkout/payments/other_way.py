"""The other way to pay, and the hour without "Try again": what a failed try leads to.

Some prompts never reach the phone (old SIM cards and eSIMs cannot show them, phones are
off): after a try that ends 1025, 1036, 1037 or 9999, and after the second failed try of any
kind for an order, the customer's message about it carries the other way to pay: the paybill
(account: the order's reference) or the till, for the order's balance, typed on the phone's
own M-Pesa menu, with the tip to dial *234# to update an old SIM. Each such offer is recorded,
so the staff see the order in ``/pending`` as told to pay by paybill until it is paid. The
money paid that way reaches Lipa through C2B crediting, not through this module.

After the last two tries of an order were both cancelled on the phone (1032), the second
cancellation's message has no "Try again" and says that none is offered for an hour.

:class:`OtherWay` adds both to a settled payment's outcome (it is a ``SettledOutcomeHook``) and
gives the offer to add to a failed push's (:meth:`OtherWay.push_failed_offer`); the decisions
are plain functions the web page uses too. The words are :mod:`checkout.i18n.payments.ways_out`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol, runtime_checkable

# The offer and its number are plain outcomes (the domain's); named here too for their users.
from checkout.domain.outcomes import OtherWayOffer as OtherWayOffer
from checkout.domain.outcomes import PaymentOutcome
from checkout.domain.outcomes import PayTo as PayTo
from checkout.domain.records import Order, Payment, PaymentStatus
from checkout.domain.result_codes import ResultCode
from checkout.domain.time import Clock
from checkout.payments.unit import SettledOutcomeHook, UnitOfWork

# Result codes after which the prompt provably never reached the phone.
UNREACHED: Final = frozenset(
    {
        ResultCode.PROMPT_NOT_SENT,
        ResultCode.UNREACHABLE,
        ResultCode.NO_ANSWER,
        ResultCode.PUSH_REQUEST_ERROR,
    }
)
# How long "Try again" is not offered after the second cancelled prompt in a row.
CANCEL_HOLD: Final = timedelta(hours=1)
# The failed tries of one order after which the other way is offered whatever the reason.
TRIES_BEFORE_OFFER: Final = 2

_FAILED: Final = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class ToldToPay:
    """An order whose customer was told to pay by paybill, with what it still owes."""

    order: Order
    phone: str
    told_at: datetime


class OtherWayRepository(Protocol):
    """The offers of the other way to pay, as the staff see them."""

    async def record_offer(self, payment: Payment, *, amount: int, now: datetime) -> None:
        """Record that the customer of ``payment`` was told to pay ``amount`` by paybill."""
        ...

    async def told_to_pay(self, *, limit: int) -> Sequence[ToldToPay]:
        """Orders still owing whose customer was told to pay by paybill, latest told first."""
        ...

    async def count_told_to_pay(self) -> int:
        """How many orders still owing have had their customer told to pay by paybill."""
        ...


@runtime_checkable
class OtherWayUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the offers of the other way to pay."""

    @property
    def ways_out(self) -> OtherWayRepository:
        """The offers of this unit."""
        ...


def with_ways_out(unit: UnitOfWork) -> OtherWayUnitOfWork:
    """The offers' view of a unit (storage's units hold every repository)."""
    if not isinstance(unit, OtherWayUnitOfWork):
        raise TypeError("this unit of work holds no offers of the other way to pay")
    return unit


def failed_try(payment: Payment) -> bool:
    """Whether ``payment`` was a try that took no money (failed, cancelled or expired)."""
    return payment.status in _FAILED


def offer_due(payment: Payment, history: Sequence[Payment]) -> bool:
    """Whether ``payment``'s failure calls for the other way to pay.

    ``history`` is every payment of its order (``payment`` among them or not).
    """
    if not failed_try(payment):
        return False
    if payment.result_code in UNREACHED:
        return True
    earlier = sum(1 for other in history if other.id != payment.id and failed_try(other))
    return earlier + 1 >= TRIES_BEFORE_OFFER


def other_way_for(
    order: Order | None, payment: Payment, history: Sequence[Payment], pay_to: PayTo
) -> OtherWayOffer | None:
    """The other way to pay ``order`` after ``payment`` failed, if it is due and owed."""
    if order is None or order.balance <= 0 or not offer_due(payment, history):
        return None
    return OtherWayOffer(order.reference, order.balance, pay_to)


def cancel_hold_until(
    history: Sequence[Payment], now: datetime, hold: timedelta = CANCEL_HOLD
) -> datetime | None:
    """Until when "Try again" is not offered for an order: its last two tries were cancelled.

    None when they were not, or the hour is over.
    """
    settled = sorted(
        (p for p in history if p.status.is_final and p.settled_at is not None),
        key=lambda p: (p.settled_at, p.id),
    )
    last = settled[-2:]
    if len(last) < 2 or not all(p.result_code == ResultCode.CANCELLED for p in last):
        return None
    assert last[-1].settled_at is not None
    until = last[-1].settled_at + hold
    return until if until > now else None


# Whether a payment is none of this module's business (a plan's installment, say).
Exempt = Callable[[UnitOfWork, Payment], Awaitable[bool]]


class OtherWay:
    """Adds the other way to pay, and the hour without "Try again", to failed tries' outcomes.

    Implements ``SettledOutcomeHook``; ``exempt`` payments (a plan's installments, whose
    amounts are the plan's) are left as they are.
    """

    def __init__(self, pay_to: PayTo, *, clock: Clock, exempt: Exempt | None = None) -> None:
        self.pay_to = pay_to
        self._clock = clock
        self._exempt = exempt

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Nothing to look up ahead: failed tries are read one by one."""

    async def settled(self, unit: UnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        """``outcome`` with the hour without "Try again" and the other way to pay (recorded
        as told), when due."""
        payment = outcome.payment
        if not failed_try(payment) or await self._is_exempt(unit, payment):
            return outcome
        history = await unit.order_book.payments_for_order(payment.order_reference)
        until = cancel_hold_until(history, self._clock())
        if payment.result_code == ResultCode.CANCELLED and until is not None:
            outcome = replace(outcome, held_until=until)
        offered = await self._offer(unit, payment, outcome.order, history)
        return outcome if offered is None else replace(outcome, other_way=offered)

    async def push_failed_offer(self, unit: UnitOfWork, payment: Payment) -> OtherWayOffer | None:
        """The other way to pay after a push that never reached the phone, if due (recorded).

        Call it after the payment was settled as failed, in the same transaction; the words
        are :func:`checkout.i18n.payments.ways_out.offer_text`'s.
        """
        if await self._is_exempt(unit, payment):
            return None
        failed = replace(payment, status=PaymentStatus.FAILED)
        history = await unit.order_book.payments_for_order(payment.order_reference)
        return await self._offer(unit, failed, None, history)

    async def _offer(
        self, unit: UnitOfWork, payment: Payment, order: Order | None, history: Sequence[Payment]
    ) -> OtherWayOffer | None:
        if order is None:
            order = await unit.orders.get(payment.order_reference)
        offer = other_way_for(order, payment, history, self.pay_to)
        if offer is None:
            return None
        await with_ways_out(unit).ways_out.record_offer(
            payment, amount=offer.amount, now=self._clock()
        )
        return offer

    async def _is_exempt(self, unit: UnitOfWork, payment: Payment) -> bool:
        return self._exempt is not None and await self._exempt(unit, payment)


class ChainedOutcomeHooks:
    """Several ``SettledOutcomeHook``s in turn: each adds to what the one before it gave."""

    def __init__(self, *hooks: SettledOutcomeHook) -> None:
        self._hooks = hooks

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Let each hook look its payments up."""
        for hook in self._hooks:
            await hook.prepare(unit, payments)

    async def settled(self, unit: UnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        """The outcome after every hook has added to it, in order."""
        for hook in self._hooks:
            outcome = await hook.settled(unit, outcome)
        return outcome
