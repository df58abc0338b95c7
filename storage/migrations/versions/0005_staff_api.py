"""staff_api: customer phone on orders; indexes for staff reports and the orders API

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("customer_phone", sa.String(length=16), nullable=True))
    op.create_index("ix_orders_status_updated_at", "orders", ["status", "updated_at"])
    op.create_index("ix_payments_created_at", "payments", ["created_at"])
    op.create_index("ix_payments_phone", "payments", ["phone"])
    op.create_index("ix_payments_settled_at_id", "payments", ["settled_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_payments_settled_at_id", table_name="payments")
    op.drop_index("ix_payments_phone", table_name="payments")
    op.drop_index("ix_payments_created_at", table_name="payments")
    op.drop_index("ix_orders_status_updated_at", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("customer_phone")
