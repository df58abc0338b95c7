"""The staff's notice of money paid twice for one order, in English and Swahili.

A push given up on (expired) or failed, whose success comes after the order was paid another
way (the paybill), is recorded as paid and makes the order overpaid; the staff read this and
are offered the refund (``/refund <receipt>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.records import Language

OVERPAID: Final[Mapping[Language, str]] = {
    "en": (
        "Paid twice: order {order} was already paid when M-Pesa reported KES {amount} from "
        "{phone} (receipt {receipt}) for a prompt we had given up on. The order is overpaid "
        "by KES {over}. To give it back: /refund {receipt}"
    ),
    "sw": (
        "Imelipwa mara mbili: oda {order} ilikuwa imelipwa M-Pesa iliporipoti KES {amount} "
        "kutoka {phone} (risiti {receipt}) kwa ombi tulilokuwa tumeliacha. Oda imelipwa "
        "zaidi kwa KES {over}. Kuzirudisha: /refund {receipt}"
    ),
}


def overpaid_text(
    language: Language, *, order: str, amount: int, phone: str, receipt: str, over: int
) -> str:
    """The staff's notice of a late success that overpaid ``order`` by ``over``."""
    return OVERPAID[language].format(
        order=order,
        amount=format_number(amount),
        phone=phone,
        receipt=receipt,
        over=format_number(over),
    )
