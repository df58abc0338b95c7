"""reconciliation: when to ask Daraja next about a pending payment; outbox order per chat

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("check_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_payments_status_next_check_at", "payments", ["status", "next_check_at"], unique=False
    )
    op.create_index("ix_outbox_chat", "outbox", ["channel", "chat_key", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.drop_index("ix_payments_status_next_check_at", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("check_attempts")
        batch.drop_column("next_check_at")
