"""Buy-Now-Pay-Later: plans, their installments and the payments made towards them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base


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
