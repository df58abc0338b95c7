"""push_limits: the pushes people asked for, counted per phone and per sender

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 23:50:00

Anyone in a chat can type any number; the push limits count the pushes people ask for (not
the ones the business schedules) per phone number and per sender, within a window.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_asks")),
    )
    op.create_index("ix_push_asks_phone_asked_at", "push_asks", ["phone", "asked_at"])
    op.create_index("ix_push_asks_sender_asked_at", "push_asks", ["sender", "asked_at"])


def downgrade() -> None:
    op.drop_index("ix_push_asks_sender_asked_at", table_name="push_asks")
    op.drop_index("ix_push_asks_phone_asked_at", table_name="push_asks")
    op.drop_table("push_asks")
