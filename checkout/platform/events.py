"""Events for the business's platform: queued in the outbox with their cause, one row per URL.

Safaricom tells only Lipa how a payment ended; Lipa tells the platform. Each event is written in
the transaction that caused it (a payment settling, an order becoming paid), so none is lost
and none is queued twice; the outbox sender then POSTs it, signed, to every configured URL and
retries each URL on its own, so one failing receiver neither blocks nor duplicates the others.
Every URL gets the same event id, which receivers use to drop the redeliveries that retries
can cause.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from checkout.domain.records import Channel, Order, OrderStatus, Payment
from checkout.domain.refunds import Refund
from checkout.domain.time import Clock
from checkout.payments.unit import UnitOfWork
from checkout.platform.views import order_fields, payment_view, refund_view, timestamp


class EventType(StrEnum):
    """What happened; the ``type`` field of an event."""

    PAYMENT_SETTLED = "payment.settled"  # a payment reached its final status (any outcome)
    ORDER_PAID = "order.paid"  # a payment made its order fully paid
    PLAN_STATE_CHANGED = "plan.state_changed"  # a BNPL plan changed state (produced by BNPL)
    PAYMENT_REFUNDED = "payment.refunded"  # a refund of a payment completed (issue 15)
    ORDER_UPDATED = "order.updated"  # the platform changed an order's amount or description
    ORDER_CANCELLED = "order.cancelled"  # the platform cancelled an order


def new_event_id() -> str:
    """A fresh, unguessable event id: ``evt_`` and 32 hex digits."""
    return f"evt_{uuid.uuid4().hex}"


def receiver_key(url: str) -> str:
    """The outbox "chat" of a receiver URL: short and fixed-length, whatever the URL's length."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class EventPublisher:
    """Queues events for every receiver URL; implements ``SettlementListener`` and
    ``RefundListener``."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        clock: Clock,
        new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self._urls = tuple(dict.fromkeys(urls))  # the same URL twice would get every event twice
        self._clock = clock
        self._new_id = new_id

    async def publish(
        self, unit: UnitOfWork, event_type: EventType, data: dict[str, Any], *, cause: str
    ) -> str | None:
        """Queue one event for every URL inside ``unit``; return its id (None: no receivers).

        ``cause`` names what produced the event (e.g. ``payment:42:settled``); a second event
        with the same cause is ignored, so a replayed transaction cannot send it twice.
        """
        if not self._urls:
            return None
        now = self._clock()
        event = {
            "id": self._new_id(),
            "type": event_type.value,
            "created_at": timestamp(now),
            "data": data,
        }
        for url in self._urls:
            key = receiver_key(url)
            await unit.outbox.add(
                channel=Channel.EVENTS,
                chat_key=key,
                payload={"url": url, "event": event},
                now=now,
                dedupe_key=f"event:{cause}:{key}",
            )
        return str(event["id"])

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Nothing to look up ahead: each payment's events are queued on their own."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """Queue ``payment.settled``, and ``order.paid`` when this payment completed its order."""
        await self.publish(
            unit,
            EventType.PAYMENT_SETTLED,
            {"payment": payment_view(payment)},
            cause=f"payment:{payment.id}:settled",
        )
        if order is not None and order.status is OrderStatus.PAID:
            await self.publish(
                unit,
                EventType.ORDER_PAID,
                {"order": order_fields(order), "payment": payment_view(payment)},
                cause=f"order:{order.reference}:paid:{payment.id}",
            )

    async def payment_refunded(
        self, unit: UnitOfWork, refund: Refund, payment: Payment, order: Order | None
    ) -> None:
        """Queue ``payment.refunded``: the refund, its payment, and the order after it."""
        await self.publish(
            unit,
            EventType.PAYMENT_REFUNDED,
            {
                "refund": refund_view(refund),
                "payment": payment_view(payment),
                "order": order_fields(order) if order is not None else None,
            },
            cause=f"refund:{refund.id}:completed",
        )

    async def order_updated(self, unit: UnitOfWork, order: Order, before: Order) -> None:
        """Queue ``order.updated``: the order after the change, and its terms before it."""
        await self.publish(
            unit,
            EventType.ORDER_UPDATED,
            {
                "order": order_fields(order),
                "previous": {"amount_due": before.amount_due, "description": before.description},
            },
            # Each change is its own request and transaction: nothing replays it.
            cause=f"order:{order.reference}:updated:{uuid.uuid4().hex}",
        )

    async def order_cancelled(self, unit: UnitOfWork, order: Order) -> None:
        """Queue ``order.cancelled`` (an order is cancelled once, so it is sent once)."""
        await self.publish(
            unit,
            EventType.ORDER_CANCELLED,
            {"order": order_fields(order)},
            cause=f"order:{order.reference}:cancelled",
        )
