"""callback_bodies: every callback body kept raw; Daraja's non-numeric result codes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 23:30:00

Every body that reaches the callback route with the right secret is kept as it came, with its
source address and time, so one that cannot be parsed or settled can be replayed after a fix
(``lipa callbacks replay``). Only bodies waiting for a replay are indexed. A ResultCode that is
not a number (``SFC_IC0003``) is kept in ``payments.result_code_text``; ``result_code`` stays an
integer, NULL for such a failure.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEEDS_REPLAY = sa.text("status IN ('refused', 'failed')")


def upgrade() -> None:
    op.create_table(
        "callback_bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checkout_request_id", sa.String(length=64), nullable=True),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_bodies")),
    )
    op.create_index(
        "ix_callback_bodies_needs_replay",
        "callback_bodies",
        ["id"],
        postgresql_where=NEEDS_REPLAY,
        sqlite_where=NEEDS_REPLAY,
    )
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("result_code_text", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("result_code_text")
    op.drop_index("ix_callback_bodies_needs_replay", table_name="callback_bodies")
    op.drop_table("callback_bodies")
