"""ways out: the offers of the other way to pay (paybill or till), and orders declined as not mine

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04 05:10:00

A failed try whose message told the customer to pay by paybill is kept (once per payment), so
the staff see its order in ``/pending`` until it is paid. A customer's "Not mine" is kept per
order and chat, so ``/orders`` no longer lists the order to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paybill_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_paybill_offers_order_id_orders"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_paybill_offers_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_paybill_offers"),
        sa.UniqueConstraint("payment_id", name="uq_paybill_offers_payment_id"),
    )
    op.create_index(
        "ix_paybill_offers_order_id_offered_at", "paybill_offers", ["order_id", "offered_at"]
    )
    op.create_table(
        "order_declines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_declines_order_id_orders"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_declines"),
        sa.UniqueConstraint(
            "order_id", "channel", "chat_key", name="uq_order_declines_order_id_channel_chat_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("order_declines")
    op.drop_index("ix_paybill_offers_order_id_offered_at", table_name="paybill_offers")
    op.drop_table("paybill_offers")
