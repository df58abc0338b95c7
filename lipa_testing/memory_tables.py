"""The rows of the in-memory database: one dict a table, keyed as the table is.

Rows are frozen: a unit that writes copies the dicts (not the rows) and replaces the rows it
changes, so what other units read never changes under them until the writer commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from checkout.conversation.model import ConversationState
from checkout.domain.records import AuditKind, Channel, Customer, KeptBody, Order, Payment
from checkout.payments.ports import PushOutcome


@dataclass(frozen=True, slots=True)
class OrderRow:
    """A row of ``orders``: the order and its id."""

    id: int
    order: Order


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A row of ``payments``: the payment and when it is next checked."""

    payment: Payment
    next_check_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A row of ``conversations``: the state as JSON (as the column holds it) and its version."""

    state: dict[str, Any]
    version: int
    updated_at: datetime

    def restored(self) -> ConversationState:
        return ConversationState.from_json(self.state, updated_at=self.updated_at)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A row of ``payment_events``."""

    kind: AuditKind
    payload: dict[str, Any]
    received_at: datetime
    checkout_request_id: str | None


@dataclass(frozen=True, slots=True)
class PushRow:
    """A row of ``push_requests``."""

    id: int
    payment_id: int
    due_at: datetime
    created_at: datetime
    attempts: int = 0
    claimed_until: datetime | None = None
    finished_at: datetime | None = None
    outcome: PushOutcome | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class PushAskRow:
    """A row of ``push_asks``."""

    phone: str
    sender: str
    asked_at: datetime


@dataclass(slots=True)
class Tables:
    """Every table the in-memory unit of work holds, by key."""

    orders: dict[str, OrderRow] = field(default_factory=dict)
    payments: dict[int, PaymentRow] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    conversations: dict[tuple[Channel, str], ConversationRow] = field(default_factory=dict)
    audit: dict[int, AuditRow] = field(default_factory=dict)
    bodies: dict[int, KeptBody] = field(default_factory=dict)
    pushes: dict[int, PushRow] = field(default_factory=dict)
    push_asks: dict[int, PushAskRow] = field(default_factory=dict)

    def copy(self) -> Tables:
        """A copy whose dicts a unit may change (the rows are shared: they are frozen)."""
        return Tables(**{f.name: dict(getattr(self, f.name)) for f in fields(self)})
