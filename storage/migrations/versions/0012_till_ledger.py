"""till ledger: every M-Pesa transaction of the shortcode once; till payments beside STK ones

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 05:10:00

``mpesa_transactions`` holds each transaction M-Pesa reported (a C2B confirmation, a statement
line, a Transaction Status answer) once, by its unique transaction id, with what became of
it: credited to an order, matched to an STK payment, waiting in the staff's queue (the only
rows indexed for the queue), or not ours. A credit is a ``payments`` row of method ``till``
(existing rows are ``stk``); its phone may be M-Pesa's masked or hashed MSISDN, so the column
is widened to 64 characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNMATCHED = sa.text("state = 'unmatched'")


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column("method", sa.String(length=8), nullable=False, server_default="stk")
        )
        batch.alter_column(
            "phone",
            existing_type=sa.String(length=16),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
    op.create_table(
        "mpesa_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account", sa.String(length=100), nullable=True),
        sa.Column("msisdn", sa.String(length=80), nullable=True),
        sa.Column("payer_name", sa.String(length=120), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("shortcode", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("order_reference", sa.String(length=12), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_mpesa_transactions_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["callback_bodies.id"],
            name=op.f("fk_mpesa_transactions_body_id_callback_bodies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mpesa_transactions")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_mpesa_transactions_transaction_id")),
    )
    op.create_index(
        "ix_mpesa_transactions_unmatched",
        "mpesa_transactions",
        ["id"],
        postgresql_where=UNMATCHED,
        sqlite_where=UNMATCHED,
    )
    op.create_index("ix_mpesa_transactions_paid_at", "mpesa_transactions", ["paid_at"])


def downgrade() -> None:
    op.drop_index("ix_mpesa_transactions_paid_at", table_name="mpesa_transactions")
    op.drop_index("ix_mpesa_transactions_unmatched", table_name="mpesa_transactions")
    op.drop_table("mpesa_transactions")
    with op.batch_alter_table("payments") as batch:
        batch.alter_column(
            "phone",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch.drop_column("method")
