"""outbox_unsent_indexes: partial indexes over undelivered outbox messages only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:45:00

Delivered messages stay in the outbox as a record, so the table grows with every payment.
The sender only ever looks at undelivered ones (what is due, and whether a chat has an earlier
one still waiting), and the staff group's chat alone has a row per payment: indexes limited to
undelivered rows keep those lookups as small as the backlog, not as large as the history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSENT = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.create_index(
        "ix_outbox_unsent_due",
        "outbox",
        ["next_attempt_at", "id"],
        postgresql_where=UNSENT,
        sqlite_where=UNSENT,
    )
    op.create_index(
        "ix_outbox_unsent_chat",
        "outbox",
        ["channel", "chat_key", "id"],
        postgresql_where=UNSENT,
        sqlite_where=UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent_chat", table_name="outbox")
    op.drop_index("ix_outbox_unsent_due", table_name="outbox")
    op.create_index("ix_outbox_chat", "outbox", ["channel", "chat_key", "id"])
    op.create_index("ix_outbox_due", "outbox", ["sent_at", "next_attempt_at"])
