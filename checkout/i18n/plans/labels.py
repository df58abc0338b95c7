"""The labels of the plans' buttons, in the customer's language.

:mod:`checkout.bnpl.views` decides which buttons a plan's message carries and what each one
does (its callback data); the label is chosen here, by what the button does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.i18n.chat import plan_date
from checkout.i18n.texts import t
from checkout.i18n.ussd.care import u


class PlanButton(StrEnum):
    """What a plan's button does."""

    PAY_NOW = "pay_now"  # pay the next installment at once
    PAY_NEXT = "pay_next"  # /plans: the next installment now
    PAY_ALL = "pay_all"  # /plans: everything left now
    DEPOSIT = "deposit"  # pay the deposit of a plan waiting for it
    DEPOSIT_AGAIN = "deposit_again"  # "Try again": the deposit that was not paid
    DROP = "drop"  # drop a plan waiting for its deposit
    OTHER_PHONE = "other_phone"  # the offer to another M-Pesa number
    NO_THANKS = "no_thanks"  # no plan
    PAY_LATER = "pay_later"  # a payment without balance: offer a plan
    MOVE = "move"  # "Move this date"
    ROLL = "roll"  # "Add to next payment"


_KEYS: Final[Mapping[PlanButton, str]] = {
    PlanButton.PAY_NOW: "button_plan_pay_now",
    PlanButton.PAY_NEXT: "button_plan_next",
    PlanButton.PAY_ALL: "button_plan_all",
    PlanButton.DEPOSIT: "button_plan_deposit",
    PlanButton.DEPOSIT_AGAIN: "button_try_again",
    PlanButton.DROP: "button_plan_drop",
    PlanButton.OTHER_PHONE: "button_plan_phone",
    PlanButton.NO_THANKS: "button_plan_no",
    PlanButton.PAY_LATER: "button_pay_later",
    PlanButton.MOVE: "button_plan_move",
    PlanButton.ROLL: "button_plan_roll",
}


def label(language: Language, button: PlanButton) -> str:
    """The label of ``button``."""
    return t(language, _KEYS[button])


def option_label(language: Language, count: int) -> str:
    """The offer's button for one option: "3 installments"."""
    return t(language, "button_plan_option", count=count)


def move_to_label(language: Language, day: datetime) -> str:
    """ "To Fri 05/12": moving the upcoming installment to ``day``."""
    return t(language, "button_plan_move_to", date=plan_date(language, day))


def plan_line_label(language: Language, order: str, left: int) -> str:
    """One plan in a USSD caller's list of plans: "WW-1042: KES 2,000 left"."""
    return u(language, "button_plan_line", order=order, left=format_number(left))
