"""What USSD callers read of their open orders and plans, and the plan reminders they get by SMS.

The USSD menu offers "My open orders" (the chat's ``/orders``) and, to a caller with a plan,
"My plans" (``/plans``, with "Move this date" and "Add to next payment" where the plan may
use them). A USSD customer's plan reminders go by SMS: with ``USSD_CODE`` set they name the
code to dial for those choices, in one SMS (160 characters of the GSM alphabet, tested with
the longest amounts, references, dates and codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.records import Language

USSD_CARE: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {
        "button_my_orders": "My open orders",
        "button_my_plans": "My plans",
        "plans_choose": "Your plans. Choose one:",
        "button_plan_line": "{order}: KES {left} left",
        # SMS: the day before a date, and the one reminder of a grace period.
        "reminder": (
            "KES {amount} for {order} ({number}/{count}) is due tomorrow, {date}; "
            "M-Pesa prompt at {hour}. To pay now{care}, dial {code} > My plans."
        ),
        "missed": (
            "KES {amount} for {order} ({number}/{count}), due {date}, is not paid. "
            "Pay it by {until}{care}: dial {code} > My plans."
        ),
        "care_move": " or move the date",
        "care_roll": ", or add it to the next payment",
    },
    "sw": {
        "button_my_orders": "Oda zangu zilizo wazi",
        "button_my_plans": "Mipango yangu",
        "plans_choose": "Mipango yako. Chagua mmoja:",
        "button_plan_line": "{order}: KES {left} zimebaki",
        "reminder": (
            "{order}: KES {amount} ({number}/{count}) kesho {date}, ombi la M-Pesa "
            "{hour}. Lipa sasa{care}: piga {code} > 5."
        ),
        "missed": (
            "{order}: KES {amount} ({number}/{count}) za {date} hazijalipwa. "
            "Lipa kabla ya {until}{care}: piga {code} > 5."
        ),
        "care_move": " au sogeza tarehe",
        "care_roll": " au ziongeze kwa yajayo",
    },
}


def u(language: Language, key: str, **params: object) -> str:
    """The text ``key`` in ``language`` with ``params`` filled in."""
    return USSD_CARE[language][key].format(**params)
