"""whatsapp: received message ids (redeliveries, the 24-hour window) and sent messages' statuses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 23:50:00

WhatsApp retries a webhook delivery it thinks was not taken: each received message id is
inserted once, and a second delivery of it finds the row and changes nothing. The latest
received time per customer tells whether a free-form message may still be sent. Sent
messages keep their kind, text and WhatsApp's latest status, so a ``failed`` outcome can be
sent again by SMS.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbound",
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_whatsapp_inbound")),
    )
    op.create_index("ix_whatsapp_inbound_wa_id", "whatsapp_inbound", ["wa_id", "received_at"])
    op.create_table(
        "whatsapp_outbound",
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_whatsapp_outbound")),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_outbound")
    op.drop_index("ix_whatsapp_inbound_wa_id", table_name="whatsapp_inbound")
    op.drop_table("whatsapp_inbound")
