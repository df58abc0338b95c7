"""bnpl: Buy-Now-Pay-Later plans, their installments and the payments that pay them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total >= 1", name=op.f("ck_plans_total_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_plans_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_plans_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_customer_id"), "plans", ["customer_id"], unique=False)
    op.create_index(op.f("ix_plans_order_id"), "plans", ["order_id"], unique=False)
    op.create_index(op.f("ix_plans_phone"), "plans", ["phone"], unique=False)
    op.create_index(
        "ix_plans_status_claimed_until", "plans", ["status", "claimed_until"], unique=False
    )
    op.create_table(
        "installments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("late_fee", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount >= 1", name=op.f("ck_installments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_installments_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_installments_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installments")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_installments_plan_id_number")),
    )
    op.create_index(
        "ix_installments_status_next_attempt_at",
        "installments",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_installments_status_remind_at", "installments", ["status", "remind_at"], unique=False
    )
    op.create_table(
        "plan_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("first_number", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_plan_payments_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_payments_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_payments")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_plan_payments_payment_id")),
    )
    op.create_index(op.f("ix_plan_payments_plan_id"), "plan_payments", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_payments_plan_id"), table_name="plan_payments")
    op.drop_table("plan_payments")
    op.drop_index("ix_installments_status_remind_at", table_name="installments")
    op.drop_index("ix_installments_status_next_attempt_at", table_name="installments")
    op.drop_table("installments")
    op.drop_index("ix_plans_status_claimed_until", table_name="plans")
    op.drop_index(op.f("ix_plans_phone"), table_name="plans")
    op.drop_index(op.f("ix_plans_order_id"), table_name="plans")
    op.drop_index(op.f("ix_plans_customer_id"), table_name="plans")
    op.drop_table("plans")
