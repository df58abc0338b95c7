"""What a customer reads when the order they try to pay was cancelled, in English and Swahili.

The business cancels an order through the orders API only while nothing was paid on it; from
then on every way to pay it (a chat, USSD, the web page, a stale Pay button) refuses it with
this sentence instead of sending an M-Pesa prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.records import Language

ORDER_CLOSED: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {
        "order_cancelled": (
            "Order {order} was cancelled, so it cannot be paid. "
            "If you still want it, ask us for a new order."
        ),
        "order_cancelled_title": "Order cancelled",
    },
    "sw": {
        "order_cancelled": (
            "Oda {order} ilighairiwa, kwa hivyo haiwezi kulipwa. "
            "Kama bado unaihitaji, tuombe oda mpya."
        ),
        "order_cancelled_title": "Oda imeghairiwa",
    },
}


def order_cancelled(language: Language, order: str) -> str:
    """The refusal of a cancelled order: it cannot be paid; ask the business for a new one."""
    return ORDER_CLOSED[language]["order_cancelled"].format(order=order)


def order_cancelled_title(language: Language) -> str:
    """The heading of the web page of a cancelled order."""
    return ORDER_CLOSED[language]["order_cancelled_title"]
