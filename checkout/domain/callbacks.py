"""The data a button carries back to the flow (Telegram allows 64 bytes).

USSD maps numbered choices to the same strings. Services attach buttons carrying these
(``RETRY`` under a failed payment), so they live below every service; the labels are the
presenters' (:mod:`checkout.i18n.buttons`).
"""

from __future__ import annotations

from enum import StrEnum
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
# A URL button sends no data; this names the receipt's for anything that reads a stored reply.
RECEIPT: Final = "receipt"
# Plan buttons (Buy-Now-Pay-Later; the longest data is about 30 bytes). The settled payment's
# presenter puts "Pay now" and "Pay later" under payments, so they live here.
PLAN_PREFIX: Final = "plan:"
PAY_LATER: Final = "plan:later"  # offer a plan for the order in progress


class Action(StrEnum):
    """What a plan button asks for, on a plan that exists."""

    NEXT = "next"  # pay the next installment now ("Pay now")
    ALL = "all"  # pay everything left now
    DEPOSIT = "deposit"  # pay (again) the deposit of a plan waiting for it
    DROP = "drop"  # drop a plan whose deposit was not paid
    MOVE = "move"  # "Move this date": show the days the upcoming installment may move by
    MOVE_TO = "moveto"  # move the upcoming installment by ``days`` (once per plan)
    ROLL = "roll"  # "Add to next payment": roll the missed installment into the next one
    SHOW = "show"  # USSD: one plan of several, with its buttons (a screen shows one plan's)


def amount_data(amount: int) -> str:
    """Callback data of a "Pay KES <amount>" button."""
    return f"{AMOUNT_PREFIX}{amount}"


def language_data(language: Language) -> str:
    """Callback data of a language button."""
    return f"{LANGUAGE_PREFIX}{language}"


def already_paid_data(order_reference: str) -> str:
    """Callback data of the "I already paid" button under a payment of ``order_reference``."""
    return f"{PAID_PREFIX}{order_reference}"


def action_data(action: Action, plan_id: int) -> str:
    """Callback data of a button acting on a plan, e.g. ``plan:next:7``."""
    return f"{PLAN_PREFIX}{action.value}:{plan_id}"
