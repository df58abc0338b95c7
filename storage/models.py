"""SQLAlchemy 2.0 models: the tables Lipa keeps, on SQLite and PostgreSQL alike.

Money columns are whole shillings (``Integer``/``BigInteger``); every time column is stored in
UTC and read back timezone-aware (:class:`AwareDateTime`), because SQLite keeps no zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class AwareDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonType = JSON().with_variant(JSONB(), "postgresql")

# Stable constraint names, so Alembic migrations are the same on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


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


class PlanRow(Base):
    """A Buy-Now-Pay-Later plan: an order paid as a deposit and installments by one customer."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("total >= 1", name="total_positive"),
        # The collector looks for owing plans that no process holds.
        Index("ix_plans_status_claimed_until", "status", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="en")
    phone: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(BigInteger)
    # Set while one process pushes for the plan, so two never push for it at once.
    claimed_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class InstallmentRow(Base):
    """One payment of a plan (number 0 is the deposit) and how collecting it goes."""

    __tablename__ = "installments"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint("amount >= 1", name="amount_positive"),
        Index("ix_installments_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_installments_status_remind_at", "status", "remind_at"),
        Index("ix_installments_status_overdue_at", "status", "overdue_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    late_fee: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    due_at: Mapped[datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    paid_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Set when missed: the end of its grace period (overdue then, once no retry is left).
    overdue_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Its date before the customer moved it ("Move this date", once per plan).
    moved_from: Mapped[datetime | None] = mapped_column(AwareDateTime())


class PlanPaymentRow(Base):
    """A payment made for installments ``first_number``..``last_number`` of a plan."""

    __tablename__ = "plan_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    first_number: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


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


class PaybillOfferRow(Base):
    """A failed try whose message told the customer to pay by paybill (or till) instead."""

    __tablename__ = "paybill_offers"
    __table_args__ = (Index("ix_paybill_offers_order_id_offered_at", "order_id", "offered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    offered_at: Mapped[datetime] = mapped_column(AwareDateTime())


class OrderDeclineRow(Base):
    """A customer said "Not mine" of an order the business created for their number."""

    __tablename__ = "order_declines"
    __table_args__ = (UniqueConstraint("order_id", "channel", "chat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    declined_at: Mapped[datetime] = mapped_column(AwareDateTime())


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
