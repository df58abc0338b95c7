"""Ways out for customers whose payment does not go through, in English and Swahili.

The other way to pay (the paybill or till, typed on the phone's own M-Pesa menu, with the
tip to update an old SIM), the hour without "Try again" after two cancelled prompts, the
customer's ``/orders`` with "Pay" and "Not mine", and the staff's lines about them. The
services decide (:mod:`checkout.payments.other_way`,
:mod:`checkout.conversation.open_orders`); these functions write the words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.outcomes import OtherWayOffer
from checkout.domain.records import Channel, Language, Payment
from checkout.domain.time import NAIROBI
from checkout.i18n.times import clock_time

# The arrow of "M-Pesa → Lipa na M-Pesa → Pay Bill"; SMS (the GSM alphabet) has none.
ARROW: Final = "→"
SMS_ARROW: Final = ">"

WAYS_OUT: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {
        "paybill": (
            "Other way to pay: on your phone open M-Pesa → Lipa na M-Pesa → Pay Bill. "
            "Business number: {number}. Account number: {account}. Amount: KES {amount}."
        ),
        "till": (
            "Other way to pay: on your phone open M-Pesa → Lipa na M-Pesa → "
            "Buy Goods and Services. Till number: {number}. Amount: KES {amount}."
        ),
        "sim_tip": (
            "If M-Pesa prompts never reach your phone, your SIM may be old: "
            "dial *234# to update it."
        ),
        "cancel_hold": (
            "You cancelled the M-Pesa prompt twice, so we will not send another for order "
            "{order} for an hour (until {time})."
        ),
        "orders_header": "Your open orders:",
        "orders_none": "You have no open orders.",
        "orders_line": "{order}: KES {balance} to pay{state}",
        "orders_state_unpaid": "",
        "orders_state_part": " (KES {paid} paid)",
        "orders_state_plan": " (on a pay-later plan)",
        "orders_state_held": " (prompts paused until {time})",
        "orders_description": " - {description}",
        "button_orders_pay": "Pay {order}",
        "button_orders_not_mine": "Not mine: {order}",
        "orders_declined": (
            "Thank you. We have told {business} that order {order} is not yours; "
            "it will not be shown to you again."
        ),
        "orders_decline_refused": (
            "Order {order} can no longer be declined here. Please contact {business}."
        ),
        "staff_declined": (
            "Order {order} (KES {balance}) was declined by the customer ({who}): "
            '"Not mine". Check who it belongs to.'
        ),
        "staff_told_header": "Told to pay by paybill: {count}",
        "staff_told_none": "Nobody is waiting to pay by paybill.",
        "staff_told_line": "{order}: KES {balance} left, {phone}, told {time}",
    },
    "sw": {
        "paybill": (
            "Njia nyingine ya kulipa: kwenye simu yako fungua M-Pesa → Lipa na M-Pesa → "
            "Pay Bill. Nambari ya biashara: {number}. Nambari ya akaunti: {account}. "
            "Kiasi: KES {amount}."
        ),
        "till": (
            "Njia nyingine ya kulipa: kwenye simu yako fungua M-Pesa → Lipa na M-Pesa → "
            "Buy Goods and Services. Nambari ya till: {number}. Kiasi: KES {amount}."
        ),
        "sim_tip": (
            "Kama maombi ya M-Pesa hayafiki kwenye simu yako, huenda SIM yako ni ya zamani: "
            "piga *234# kuisasisha."
        ),
        "cancel_hold": (
            "Umeghairi ombi la M-Pesa mara mbili, kwa hivyo hatutatuma jingine kwa oda "
            "{order} kwa saa moja (hadi {time})."
        ),
        "orders_header": "Oda zako zilizo wazi:",
        "orders_none": "Huna oda zilizo wazi.",
        "orders_line": "{order}: KES {balance} za kulipa{state}",
        "orders_state_unpaid": "",
        "orders_state_part": " (KES {paid} zimelipwa)",
        "orders_state_plan": " (kwa mpango wa kulipa baadaye)",
        "orders_state_held": " (maombi yamesimamishwa hadi {time})",
        "orders_description": " - {description}",
        "button_orders_pay": "Lipa {order}",
        "button_orders_not_mine": "Si yangu: {order}",
        "orders_declined": (
            "Asante. Tumeiambia {business} kwamba oda {order} si yako; hutaonyeshwa tena."
        ),
        "orders_decline_refused": (
            "Oda {order} haiwezi kukataliwa hapa tena. Tafadhali wasiliana na {business}."
        ),
        "staff_declined": (
            "Oda {order} (KES {balance}) imekataliwa na mteja ({who}): "
            '"Si yangu". Kagua ni ya nani.'
        ),
        "staff_told_header": "Wameambiwa walipe kwa paybill: {count}",
        "staff_told_none": "Hakuna anayesubiri kulipa kwa paybill.",
        "staff_told_line": "{order}: KES {balance} zimebaki, {phone}, waliambiwa {time}",
    },
}


def w(language: Language, key: str, **params: object) -> str:
    """The text ``key`` in ``language`` with ``params`` filled in."""
    return WAYS_OUT[language][key].format(**params)


def other_way_text(
    language: Language,
    *,
    till: bool,
    number: str,
    account: str,
    amount: int,
    sms: bool = False,
) -> str:
    """How to pay from the phone's own M-Pesa menu, and the tip to update an old SIM.

    ``sms``: written in the GSM alphabet (no arrows), for USSD customers' text messages.
    """
    key = "till" if till else "paybill"
    text = w(language, key, number=number, account=account, amount=format_number(amount))
    text = f"{text}\n{w(language, 'sim_tip')}"
    return text.replace(ARROW, SMS_ARROW) if sms else text


def offer_text(payment: Payment, offer: OtherWayOffer) -> str:
    """The other way in the payment's language; SMS-safe for a USSD customer."""
    return other_way_text(
        payment.language,
        till=offer.pay_to.till,
        number=offer.pay_to.number,
        account=offer.order_reference,
        amount=offer.amount,
        sms=payment.channel is Channel.USSD,
    )


def cancel_hold_text(language: Language, order: str, until: datetime) -> str:
    """Why "Try again" is not offered for ``order`` until ``until`` (Nairobi time shown)."""
    return w(language, "cancel_hold", order=order, time=_time(language, until))


def _time(language: Language, moment: datetime) -> str:
    """``moment`` in Nairobi, rounded up to the minute: asking at the time shown is not early."""
    whole = moment.replace(second=0, microsecond=0)
    if whole != moment:
        whole += timedelta(minutes=1)
    return clock_time(language, whole.astimezone(NAIROBI).time())


def held_time(language: Language, until: datetime) -> str:
    """``until`` as a clock time in Nairobi, in ``language``."""
    return _time(language, until)
