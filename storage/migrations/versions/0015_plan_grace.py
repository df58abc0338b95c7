"""plan grace: a missed installment's grace end, and its date before the customer moved it

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-04 05:10:00

``overdue_at`` is set when an automatic try on an installment's date fails: the end of its
grace period (``BNPL_GRACE_DAYS``); the collector makes it overdue then, once no automatic try
is left. ``moved_from`` keeps the date an installment had before "Move this date" (once per
plan). The new status ``rolled`` ("Add to next payment") needs no schema change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("installments") as batch:
        batch.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("moved_from", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_installments_status_overdue_at", "installments", ["status", "overdue_at"])


def downgrade() -> None:
    op.drop_index("ix_installments_status_overdue_at", table_name="installments")
    with op.batch_alter_table("installments") as batch:
        batch.drop_column("moved_from")
        batch.drop_column("overdue_at")
