"""Conversations and what is sent to them: the outbox, USSD sessions, deferred pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base, JsonType


class ConversationRow(Base):
    """A chat's conversation state, versioned for optimistic concurrency."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


_UNSENT = text("sent_at IS NULL AND failed_at IS NULL")


class OutboxRow(Base):
    """A message to deliver; claimed by one sender at a time until sent or given up."""

    __tablename__ = "outbox"
    # Only undelivered rows are indexed: delivered ones stay as a record, and the sender
    # never looks them up (see migration 0006).
    __table_args__ = (
        Index(
            "ix_outbox_unsent_due",
            "next_attempt_at",
            "id",
            postgresql_where=_UNSENT,
            sqlite_where=_UNSENT,
        ),
        Index(
            "ix_outbox_unsent_chat",
            "channel",
            "chat_key",
            "id",
            postgresql_where=_UNSENT,
            sqlite_where=_UNSENT,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class UssdSessionRow(Base):
    """A USSD session: the inputs answered so far and the screen last shown, for any process."""

    __tablename__ = "ussd_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    service_code: Mapped[str] = mapped_column(String(32))
    network_code: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    screen: Mapped[dict[str, Any]] = mapped_column(JsonType)
    page: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    gateway_status: Mapped[str | None] = mapped_column(String(32))
    gateway_error: Mapped[str | None] = mapped_column(Text)


class PushRequestRow(Base):
    """An STK push to send once its USSD session has ended; claimed and sent at most once."""

    __tablename__ = "push_requests"
    __table_args__ = (Index("ix_push_requests_due", "finished_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    due_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # Set while a sender holds the request; still set after it passed: the sender died mid-push.
    claimed_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class PushAskRow(Base):
    """A push a person asked for (chat, USSD), counted by the push limits; never by the business."""

    __tablename__ = "push_asks"
    __table_args__ = (
        # The limits count a phone's and a sender's latest asks within a window.
        Index("ix_push_asks_phone_asked_at", "phone", "asked_at"),
        Index("ix_push_asks_sender_asked_at", "sender", "asked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(80))
    asked_at: Mapped[datetime] = mapped_column(AwareDateTime())
