"""customer names: the name Telegram or M-Pesa gave for a customer, shown to staff

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 14:45:00

``customers.name`` holds the customer's Telegram first name (or the name M-Pesa gave with a
payment) so that staff in a private chat with the bot can call them back by name. It is user
data: cleaned of control characters and capped at 64 characters before it is stored, and shown
only where whole phone numbers are (STAFF_SEE_FULL_PHONES), never in groups or logs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("name")
