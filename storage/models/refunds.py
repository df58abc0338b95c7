"""Money going back and questions to M-Pesa: refunds and initiator (Transaction Status) requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base, JsonType


class RefundRow(Base):
    """A refund of a paid payment: asked, approved by a second staff user, sent once (0017)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount >= 1 AND amount <= 250000", name="amount_in_daraja_range"),
        # The sender claims approved refunds and due status checks; leases that ran out.
        Index("ix_refunds_state_claimed_until", "state", "claimed_until"),
        Index("ix_refunds_state_next_check_at", "state", "next_check_at"),
        # The daily limit sums approvals since midnight; reports sum completions.
        Index("ix_refunds_decided_at", "decided_at"),
        Index("ix_refunds_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_reference: Mapped[str] = mapped_column(String(12))
    receipt: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(40))
    approved_by: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16))
    method: Mapped[str | None] = mapped_column(String(16))
    over_limit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Ours (B2C) or Daraja's (Reversal) OriginatorConversationID, and Daraja's ConversationID.
    originator_id: Mapped[str | None] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The ConversationID of the latest Transaction Status ask about it, after a queue timeout.
    check_conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set (and committed) just before Daraja is called: a lease that runs out after it means
    # the call may have gone out, so the refund is asked about, never sent again.
    call_started_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    transaction_id: Mapped[str | None] = mapped_column(String(32))
    result_code: Mapped[str | None] = mapped_column(String(32))
    result_description: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(String(32))
    # The platform's reference: POST /api/refunds is idempotent on it.
    api_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(AwareDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class InitiatorRequestRow(Base):
    """A request to one of Daraja's initiator APIs (Transaction Status, Reversal, B2C).

    Stored before it is sent; ``originator_conversation_id`` is ours, ``conversation_id`` and
    ``daraja_originator_id`` are what Daraja gave its latest attempt (answers name either).
    ``next_check_at`` is when the periodic pass looks at it again (None: nothing to do).
    """

    __tablename__ = "initiator_requests"
    __table_args__ = (
        Index("ix_initiator_requests_due", "next_check_at"),
        Index("ix_initiator_requests_requester", "requester", "asked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    originator_conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    daraja_originator_id: Mapped[str | None] = mapped_column(String(64), index=True)
    command: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(32), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    requester: Mapped[str | None] = mapped_column(String(80))
    context: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    asked_at: Mapped[datetime] = mapped_column(AwareDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    outcome: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
