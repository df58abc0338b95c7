"""The staff's notice of money paid twice for one order, in English and Swahili.

A push given up on (expired) or failed, whose success comes after the order was paid another
way (the paybill), is recorded as paid and makes the order overpaid; the staff read this and
are offered the refund (``/refund <receipt>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.outcomes import PaidTwice
from checkout.domain.phones import mask_phone
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


def overpaid_text(language: Language, paid: PaidTwice) -> str:
    """The staff's notice of a late success that overpaid its order (the phone masked)."""
    payment = paid.payment
    return OVERPAID[language].format(
        order=payment.order_reference,
        amount=format_number(payment.amount),
        phone=mask_phone(payment.phone),
        receipt=paid.receipt,
        over=format_number(paid.over),
    )
