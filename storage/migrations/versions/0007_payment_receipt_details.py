"""payment_receipt_details: what M-Pesa reported with a payment's receipt

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:30:00

A payment settled by STK Push Query learns its receipt only from the callback that comes
after the query: the transaction date and the amount M-Pesa reported are kept beside the
receipt, so a late callback can fill all three in, and a reported amount other than the one
asked is visible on the payment itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("transaction_date", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reported_amount", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("reported_amount")
        batch.drop_column("transaction_date")
