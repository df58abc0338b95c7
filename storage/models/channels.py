"""The web checkout's receipt links and the WhatsApp channel's records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base


class ReceiptTokenRow(Base):
    """The unguessable token (128 random bits) that opens one paid payment's receipt."""

    __tablename__ = "receipt_tokens"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class WhatsAppInboundRow(Base):
    """A WhatsApp message received from a customer, kept by its id to drop redeliveries.

    Also the 24-hour window: free-form messages may go to a ``wa_id`` only within 24 hours of
    its latest row here.
    """

    __tablename__ = "whatsapp_inbound"
    __table_args__ = (Index("ix_whatsapp_inbound_wa_id", "wa_id", "received_at"),)

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(AwareDateTime())


class WhatsAppOutboundRow(Base):
    """A message Lipa sent on WhatsApp (or instead of it by SMS), with its latest status."""

    __tablename__ = "whatsapp_outbound"

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(32))
    # reply (an answer in the chat), outbox (an outcome), template, sms (the fallback)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
