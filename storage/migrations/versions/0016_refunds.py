"""refunds: refund requests of paid payments, approved by a second staff user, sent once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 05:10:00

A refund is stored before anyone approves it and before Daraja is called. Its state only moves
forward; a sender claims approved ones for a lease, and ``call_started_at`` (committed before
the call) tells a restart whether the call may have gone out: then it is asked about through
Transaction Status, never sent again. ``api_reference`` makes ``POST /api/refunds`` idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_reference", sa.String(12), nullable=False),
        sa.Column("receipt", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("approved_by", sa.String(40), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("over_limit", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("originator_id", sa.String(64), nullable=True),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("check_conversation_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status_checks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("call_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", sa.String(32), nullable=True),
        sa.Column("result_code", sa.String(32), nullable=True),
        sa.Column("result_description", sa.Text(), nullable=True),
        sa.Column("failure", sa.String(32), nullable=True),
        sa.Column("api_reference", sa.String(64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount >= 1 AND amount <= 250000", name="ck_refunds_amount_in_daraja_range"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_refunds_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        sa.UniqueConstraint("api_reference", name="uq_refunds_api_reference"),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])
    op.create_index("ix_refunds_receipt", "refunds", ["receipt"])
    op.create_index("ix_refunds_originator_id", "refunds", ["originator_id"])
    op.create_index("ix_refunds_conversation_id", "refunds", ["conversation_id"])
    op.create_index("ix_refunds_check_conversation_id", "refunds", ["check_conversation_id"])
    op.create_index("ix_refunds_state_claimed_until", "refunds", ["state", "claimed_until"])
    op.create_index("ix_refunds_state_next_check_at", "refunds", ["state", "next_check_at"])
    op.create_index("ix_refunds_decided_at", "refunds", ["decided_at"])
    op.create_index("ix_refunds_finished_at", "refunds", ["finished_at"])


def downgrade() -> None:
    op.drop_table("refunds")
