"""Deep links that open the checkout at an order: Telegram's and WhatsApp's."""

from __future__ import annotations

from checkout.domain.references import DEEP_LINK_PREFIX


def web_pay_link(base_url: str, reference: str) -> str:
    """``<PUBLIC_BASE_URL>/pay/<reference>``: the order's page in any browser."""
    return f"{base_url.rstrip('/')}/pay/{reference}"


def pay_link(bot_username: str, reference: str) -> str:
    """``https://t.me/<bot>?start=pay_<reference>``: the chat opens on the order's amount."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={DEEP_LINK_PREFIX}{reference}"


def whatsapp_pay_link(number: str, reference: str) -> str:
    """``https://wa.me/<number>?text=PAY%20<reference>``: WhatsApp opens the business's chat
    with "PAY <reference>" typed, which starts the order's checkout once sent.

    ``number`` is the business's WhatsApp number in any common writing; wa.me takes digits.
    """
    digits = "".join(character for character in number if character.isdigit())
    return f"https://wa.me/{digits}?text=PAY%20{reference}"
