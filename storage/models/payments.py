"""Customers, orders and their payments: what was asked, what M-Pesa said, and how it was kept."""

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base, JsonType


class CustomerRow(Base):
    """A customer per channel and chat."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel", "chat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    # The name Telegram or M-Pesa gave (cleaned, at most NAME_LIMIT characters): staff only.
    name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class OrderRow(Base):
    """An order: what is due and what has been paid against it."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount_due >= 0", name="amount_due_not_negative"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        # Staff's /pending lists partly paid orders, most recently paid first.
        Index("ix_orders_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    known: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class PaymentRow(Base):
    """One STK push and its outcome."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 1 AND amount <= 250000", name="amount_in_daraja_range"),
        Index("ix_payments_status_created_at", "status", "created_at"),
        Index("ix_payments_channel_chat_key_id", "channel", "chat_key", "id"),
        Index("ix_payments_status_next_check_at", "status", "next_check_at"),
        # Staff reports: a day's payments, a search by phone; the API pages by settle time.
        Index("ix_payments_created_at", "created_at"),
        Index("ix_payments_phone", "phone"),
        Index("ix_payments_settled_at_id", "settled_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="en")
    amount: Mapped[int] = mapped_column(BigInteger)
    # A till payment of a payer Lipa does not know keeps M-Pesa's MSISDN as given: masked,
    # or a 64-character SHA-256 digest (0012 widened it from 16).
    phone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    merchant_request_id: Mapped[str | None] = mapped_column(String(64))
    checkout_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    result_code: Mapped[int | None] = mapped_column(Integer)
    # Daraja's code when it is not a number (SFC_IC0003); result_code is NULL then.
    result_code_text: Mapped[str | None] = mapped_column(String(32))
    result_description: Mapped[str | None] = mapped_column(Text)
    receipt_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # What M-Pesa reported with the receipt: when the money moved, how much (migration 0007).
    transaction_date: Mapped[datetime | None] = mapped_column(AwareDateTime())
    reported_amount: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    requested_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # Reconciliation: when to ask Daraja next about a pending payment, and how often we have.
    next_check_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    check_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "stk" for a push Lipa sent, "till" for money paid to the till and credited (0012).
    method: Mapped[str] = mapped_column(String(8), default="stk", server_default="stk")


class PaymentEventRow(Base):
    """A raw callback, query answer or push answer, kept for audit."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    checkout_request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    note: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(AwareDateTime())


_NEEDS_REPLAY = text("status IN ('refused', 'failed')")


class CallbackBodyRow(Base):
    """A callback body as it reached the route, kept before it is parsed (see migration 0009)."""

    __tablename__ = "callback_bodies"
    # Only bodies waiting for a replay are indexed: the table grows with every callback, and
    # a second index over all of it would cost every insert.
    __table_args__ = (
        Index(
            "ix_callback_bodies_needs_replay",
            "id",
            postgresql_where=_NEEDS_REPLAY,
            sqlite_where=_NEEDS_REPLAY,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(AwareDateTime())
    source_address: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    checkout_request_id: Mapped[str | None] = mapped_column(String(64))
    replayed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


_UNMATCHED = text("state = 'unmatched'")


class MpesaTransactionRow(Base):
    """One M-Pesa transaction into the shortcode, once, and what became of it (0012).

    A C2B confirmation, a statement line and a Transaction Status answer for the same
    transaction id all land on this one row: the unique id is what credits it once.
    """

    __tablename__ = "mpesa_transactions"
    __table_args__ = (
        # The staff's queue: only the waiting rows are indexed.
        Index(
            "ix_mpesa_transactions_unmatched",
            "id",
            postgresql_where=_UNMATCHED,
            sqlite_where=_UNMATCHED,
        ),
        Index("ix_mpesa_transactions_paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    account: Mapped[str | None] = mapped_column(String(100))
    msisdn: Mapped[str | None] = mapped_column(String(80))
    payer_name: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(40))
    shortcode: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    order_reference: Mapped[str | None] = mapped_column(String(12))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    body_id: Mapped[int | None] = mapped_column(ForeignKey("callback_bodies.id"))
