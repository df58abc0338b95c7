"""The buttons shared by the flow and the services, labelled in the customer's language."""

from __future__ import annotations

from checkout.domain.callbacks import (
    MENU_HELP,
    MENU_HISTORY,
    MENU_LANGUAGE,
    MENU_ORDERS,
    MENU_PAY,
    MENU_PLANS,
    MENU_STATUS,
    RETRY,
    already_paid_data,
)
from checkout.domain.records import Channel, Language
from checkout.domain.replies import Button
from checkout.i18n.texts import t
from checkout.i18n.ussd.care import u


def menu_buttons(
    language: Language, *, channel: Channel = Channel.TELEGRAM, plans: bool = False
) -> tuple[tuple[Button, ...], ...]:
    """The main menu: "Pay an order", "My payments", "Help", one per row for small screens.

    USSD offers "Pay an order", "My last payment", "Language / Lugha", "My open orders" and,
    to a caller with a plan (``plans``), "My plans" instead: its screens have no room for
    help, and a feature phone has no other way to switch language or reach ``/orders`` and
    ``/plans``. The first three keep their numbers, which callers type from habit.
    """
    if channel is Channel.USSD:
        rows: tuple[tuple[Button, ...], ...] = (
            (Button(t(language, "button_pay_order"), MENU_PAY),),
            (Button(t(language, "ussd_button_my_last_payment"), MENU_STATUS),),
            (Button(t(language, "ussd_button_language"), MENU_LANGUAGE),),
            (Button(u(language, "button_my_orders"), MENU_ORDERS),),
        )
        if plans:
            rows = (*rows, (Button(u(language, "button_my_plans"), MENU_PLANS),))
        return rows
    return (
        (Button(t(language, "button_pay_order"), MENU_PAY),),
        (Button(t(language, "button_my_payments"), MENU_HISTORY),),
        (Button(t(language, "button_help"), MENU_HELP),),
    )


def retry_button(language: Language) -> Button:
    """The "Try again" button the service attaches to failure messages."""
    return Button(t(language, "button_try_again"), RETRY)


def already_paid_button(language: Language, order_reference: str) -> Button:
    """ "I already paid": the customer types the M-Pesa code of a payment Lipa did not see."""
    return Button(t(language, "button_already_paid"), already_paid_data(order_reference))


def list_button_label(language: Language) -> str:
    """The label of the button that opens a WhatsApp list message's choices ("Choose")."""
    return t(language, "whatsapp_list_button")
