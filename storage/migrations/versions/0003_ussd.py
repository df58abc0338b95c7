"""ussd: USSD sessions and the STK pushes sent after a session has ended

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ussd_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("network_code", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "screen", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_status", sa.String(length=32), nullable=True),
        sa.Column("gateway_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ussd_sessions")),
        sa.UniqueConstraint("session_id", name=op.f("uq_ussd_sessions_session_id")),
    )
    op.create_index(op.f("ix_ussd_sessions_phone"), "ussd_sessions", ["phone"], unique=False)
    op.create_table(
        "push_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_push_requests_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_requests")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_push_requests_payment_id")),
    )
    op.create_index(
        "ix_push_requests_due", "push_requests", ["finished_at", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_push_requests_due", table_name="push_requests")
    op.drop_table("push_requests")
    op.drop_index(op.f("ix_ussd_sessions_phone"), table_name="ussd_sessions")
    op.drop_table("ussd_sessions")
