"""The data a button carries back to the flow (Telegram allows 64 bytes).

USSD maps numbered choices to the same strings. Services attach buttons carrying these
(``RETRY`` under a failed payment), so they live below every service; the labels are the
presenters' (:mod:`checkout.i18n.buttons`).
"""

from __future__ import annotations

from typing import Final

from checkout.domain.records import Language

MENU_PAY: Final = "menu:pay"
MENU_HISTORY: Final = "menu:history"
MENU_HELP: Final = "menu:help"
MENU_STATUS: Final = "menu:status"  # USSD: "My last payment"
MENU_LANGUAGE: Final = "menu:language"  # USSD: "Language / Lugha"
MENU_ORDERS: Final = "menu:orders"  # USSD: "My open orders" (the chat's /orders)
MENU_PLANS: Final = "menu:plans"  # USSD, to a caller with a plan: "My plans" (/plans)
AMOUNT_PREFIX: Final = "amount:"  # + whole shillings, e.g. "amount:1500"
PHONE_SAVED: Final = "phone:saved"
PAY: Final = "pay"
CHANGE_PHONE: Final = "change_phone"
CANCEL: Final = "cancel"
RETRY: Final = "retry"
LANGUAGE_PREFIX: Final = "lang:"  # + "en" or "sw"
AMOUNT_OTHER: Final = "amount_other"  # USSD: type an amount other than the balance
BACK: Final = "back"  # one question back (USSD "0")
HOME: Final = "home"  # the menu (USSD "00")
# USSD: carry on with the order a dropped session left, at the step it was at
RESUME: Final = "resume"
PAID_PREFIX: Final = "paid:"  # + order reference: "I already paid" (type the M-Pesa code)


def amount_data(amount: int) -> str:
    """Callback data of a "Pay KES <amount>" button."""
    return f"{AMOUNT_PREFIX}{amount}"


def language_data(language: Language) -> str:
    """Callback data of a language button."""
    return f"{LANGUAGE_PREFIX}{language}"


def already_paid_data(order_reference: str) -> str:
    """Callback data of the "I already paid" button under a payment of ``order_reference``."""
    return f"{PAID_PREFIX}{order_reference}"
