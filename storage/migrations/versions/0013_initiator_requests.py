"""initiator requests: Transaction Status (and later Reversal, B2C) asked of Daraja, and answers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 05:10:00

Each request to one of Daraja's initiator APIs is stored before it is sent, with what it is
for (the purpose and its context: the order, the customer's chat, the staff user), so its
asynchronous Result, a QueueTimeOut or a Result that never comes is handled by whichever
process receives it, once. ``next_check_at`` drives the periodic pass that asks again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "initiator_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("originator_conversation_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("daraja_originator_id", sa.String(64), nullable=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(80), nullable=True),
        sa.Column("context", _JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiator_requests")),
        sa.UniqueConstraint(
            "originator_conversation_id",
            name=op.f("uq_initiator_requests_originator_conversation_id"),
        ),
    )
    op.create_index(
        "ix_initiator_requests_conversation_id", "initiator_requests", ["conversation_id"]
    )
    op.create_index(
        "ix_initiator_requests_daraja_originator_id",
        "initiator_requests",
        ["daraja_originator_id"],
    )
    op.create_index("ix_initiator_requests_subject", "initiator_requests", ["subject"])
    op.create_index("ix_initiator_requests_due", "initiator_requests", ["next_check_at"])
    op.create_index(
        "ix_initiator_requests_requester", "initiator_requests", ["requester", "asked_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_initiator_requests_requester", table_name="initiator_requests")
    op.drop_index("ix_initiator_requests_due", table_name="initiator_requests")
    op.drop_index("ix_initiator_requests_subject", table_name="initiator_requests")
    op.drop_index("ix_initiator_requests_daraja_originator_id", table_name="initiator_requests")
    op.drop_index("ix_initiator_requests_conversation_id", table_name="initiator_requests")
    op.drop_table("initiator_requests")
