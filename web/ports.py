"""What the web adapter needs from outside besides the checkout's own ports."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ReceiptTokens(Protocol):
    """One unguessable token per paid payment (``storage.repositories.receipts``)."""

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str:
        """The payment's token: ``offered`` if it had none yet, else the one it has."""
        ...

    async def payment_for(self, token: str) -> int | None:
        """The id of the payment this token opens, or None."""
        ...
