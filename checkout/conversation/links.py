"""Telegram deep links that open the checkout at an order."""

from __future__ import annotations

from checkout.domain.references import DEEP_LINK_PREFIX


def pay_link(bot_username: str, reference: str) -> str:
    """``https://t.me/<bot>?start=pay_<reference>``: the chat opens on the order's amount."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={DEEP_LINK_PREFIX}{reference}"
