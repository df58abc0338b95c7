"""receipt_tokens: an unguessable token per paid payment, for its receipt link

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 23:55:00

A receipt is opened by a 128-bit random token, never by the M-Pesa receipt number alone
(those are short and partly predictable). One token per payment, made when its receipt is
first shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receipt_tokens",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_receipt_tokens_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("payment_id", name="pk_receipt_tokens"),
        sa.UniqueConstraint("token", name="uq_receipt_tokens_token"),
    )


def downgrade() -> None:
    op.drop_table("receipt_tokens")
