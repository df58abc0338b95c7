"""Everything customers (and staff) read, in English and Swahili, looked up with :func:`t`.

Keys are snake_case, grouped by prefix: ``menu_``, ``order_``, ``amount_``, ``phone_``,
``push_`` (answers to starting a push), ``outcome_`` (how a payment ended), ``status_``,
``history_``, ``payment_status_``, ``button_`` and ``staff_``; ``ussd_`` (a text's wording on a
USSD screen, or a text only USSD shows) and ``sms_`` (texts only sent by SMS).

Texts avoid emoji and characters outside the GSM 7-bit alphabet, because the same words go to
USSD screens and SMS on basic phones, where one emoji halves the room on a screen. They avoid
channel words like "tap": Telegram shows buttons, USSD shows the same buttons as numbered
options, and SMS shows none.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_numbers
from checkout.domain.records import Channel, Language
from checkout.i18n.catalogue.outcomes import OUTCOME_EN, OUTCOME_SW
from checkout.i18n.catalogue.plans import PLAN_EN, PLAN_SW
from checkout.i18n.catalogue.push_limits import LIMIT_EN, LIMIT_SW
from checkout.i18n.catalogue.ussd import USSD_EN, USSD_SW
from checkout.i18n.catalogue.verify import VERIFY_EN, VERIFY_SW
from checkout.i18n.staff_notices import NOTICE_EN, NOTICE_SW

_EN: Final[Mapping[str, str]] = {
    # menu, help and housekeeping
    "menu_greeting": "Welcome to {business}. What would you like to do?",
    "help_text": (
        "To pay an order, give its number and the amount, choose the M-Pesa number, then "
        "enter your M-Pesa PIN on your phone. We never ask for your PIN in this chat. "
        "Commands: /pay /status /history /plans /lugha /cancel"
    ),
    "idle_restarted": "We started over because the chat was idle.",
    "something_went_wrong": "Sorry, something went wrong on our side. Please try again.",
    "language_choose": "Choose your language.",
    "language_chosen": "Language set to English.",
    "cancelled": "Cancelled. No payment was made.",
    "cancelled_while_paying": (
        "Stopped here. If an M-Pesa prompt is on your phone, you can still cancel it there."
    ),
    # order
    "order_ask": "Please type your order number.",
    "order_invalid": (
        "An order number has 1 to 12 letters, digits or hyphens, e.g. AB-1042. "
        "Please type it again."
    ),
    "order_unknown": "We could not find order {order}. Please check the number and type it again.",
    "order_not_found": "We could not find this order any more. Please start again.",
    "order_paid": "Order {order} is already fully paid. Thank you!",
    "order_refunded": "Order {order} was refunded, so it cannot be paid again. "
    "If you still want it, ask us for a new order.",
    "web_link_sms": "Pay order {order} (KES {balance} left) with M-Pesa here: {link}",
    "receipt_link": "Your receipt: {link}",
    "order_paid_receipt": (
        "Order {order} is already fully paid. Your last payment: KES {amount}, "
        "M-Pesa receipt {receipt}. Thank you!"
    ),
    # amount
    "amount_ask_known": (
        "Order {order}: KES {balance} left to pay. Pay it all below, or type a smaller amount."
    ),
    "amount_ask_unknown": (
        "How much are you paying for order {order}? Type the amount in shillings, e.g. 1500."
    ),
    "amount_not_a_number": "Please type the amount in shillings using digits, e.g. 1500.",
    "amount_not_whole": (
        "M-Pesa takes whole shillings only. Please type the amount without cents, e.g. 1500."
    ),
    "amount_too_small": "The amount must be at least KES {minimum}. Please type another amount.",
    "amount_too_large": (
        "M-Pesa allows at most KES {maximum} in one payment. Please type a smaller amount."
    ),
    "amount_above_balance": (
        "Only KES {balance} is left to pay on this order. Please type KES {balance} or less."
    ),
    # phone
    "phone_ask": "Which M-Pesa number will pay? Type it, e.g. 0712 345 678, or choose below.",
    "phone_invalid": "That is not a valid Kenyan mobile number. Please type it like 0712 345 678.",
    "phone_not_mobile": "That is a landline. M-Pesa needs a mobile number, like 0712 345 678.",
    "phone_not_kenyan": (
        "Only Kenyan M-Pesa numbers can pay here. Please type one like 0712 345 678."
    ),
    "phone_contact_not_own": (
        "That contact is not your own number. Please share your own, or type the M-Pesa number."
    ),
    # confirmation and payment
    "confirm_ask": "Pay KES {amount} for order {order} from {phone}?",
    "already_paying": (
        "A payment request is already on its way to your phone. Please enter your M-Pesa PIN "
        "there, or wait for the result."
    ),
    "push_sent": (
        "Check your phone and enter your M-Pesa PIN to pay KES {amount} for order {order}."
    ),
    "push_refused": "M-Pesa could not start the payment. Please try again.",
    "push_subscriber_locked": (
        "Another M-Pesa request is in progress on this phone. Please wait a minute and try again."
    ),
    "push_busy": "M-Pesa is very busy right now. Please try again in a minute.",
    "push_unavailable": "M-Pesa is not answering right now. Please try again in a few minutes.",
    "push_outcome_unknown": (
        "We are checking with M-Pesa whether your payment request went through. We will tell "
        "you soon; please do not pay twice."
    ),
    # status and history
    "status_pending": (
        "Your last payment, KES {amount} for order {order}, is still waiting for M-Pesa."
    ),
    "status_paid": (
        "Your last payment, KES {amount} for order {order}, was received. M-Pesa receipt {receipt}."
    ),
    "status_failed": (
        "Your last payment, KES {amount} for order {order}, was not completed ({status})."
    ),
    "status_none": "You have no payments yet.",
    "history_header": "Your last payments:",
    "history_line": "{date}: KES {amount}, order {order}, {status}",
    "history_line_paid": "{date}: KES {amount}, order {order}, receipt {receipt}",
    "history_empty": "You have no payments yet.",
    "payment_status_pending": "waiting",
    "payment_status_paid": "paid",
    "payment_status_failed": "failed",
    "payment_status_cancelled": "cancelled",
    "payment_status_expired": "no answer",
    "payment_status_mismatched": "being checked",
    # buttons
    "button_pay_order": "Pay an order",
    "button_my_payments": "My payments",
    "button_help": "Help",
    "button_pay_amount": "Pay KES {amount}",
    "button_share_phone": "Share my number",
    "button_use_phone": "Use {phone}",
    "whatsapp_list_button": "Choose",
    "button_pay": "Pay",
    "button_change_phone": "Change number",
    "button_cancel": "Cancel",
    "button_try_again": "Try again",
    "button_english": "English",
    "button_swahili": "Kiswahili",
}

_SW: Final[Mapping[str, str]] = {
    # menu, help and housekeeping
    "menu_greeting": "Karibu {business}. Ungependa kufanya nini?",
    "help_text": (
        "Kulipia oda, andika namba yake na kiasi, chagua namba ya M-Pesa, kisha weka PIN yako "
        "ya M-Pesa kwenye simu yako. Hatutakuuliza PIN yako hapa. "
        "Amri: /pay /status /history /plans /lugha /cancel"
    ),
    "idle_restarted": "Tumeanza upya kwa sababu mazungumzo yalikaa kimya kwa muda.",
    "something_went_wrong": "Samahani, kuna hitilafu upande wetu. Tafadhali jaribu tena.",
    "language_choose": "Chagua lugha yako.",
    "language_chosen": "Sawa, tutaendelea kwa Kiswahili.",
    "cancelled": "Imeghairiwa. Hakuna malipo yaliyofanyika.",
    "cancelled_while_paying": (
        "Tumesimama hapa. Kama ombi la M-Pesa liko kwenye simu yako, bado unaweza kulighairi hapo."
    ),
    # order
    "order_ask": "Tafadhali andika namba ya oda yako.",
    "order_invalid": (
        "Namba ya oda ina herufi, tarakimu au vistari 1 hadi 12, kwa mfano AB-1042. "
        "Tafadhali iandike tena."
    ),
    "order_unknown": "Hatukupata oda {order}. Tafadhali hakikisha namba na uiandike tena.",
    "order_not_found": "Hatukupata oda hii tena. Tafadhali anza upya.",
    "order_paid": "Oda {order} imeshalipwa yote. Asante!",
    "order_refunded": "Pesa za oda {order} zilirudishwa, kwa hivyo haiwezi kulipwa tena. "
    "Kama bado unaihitaji, tuombe oda mpya.",
    "web_link_sms": "Lipa oda {order} (KES {balance} imebaki) kwa M-Pesa hapa: {link}",
    "receipt_link": "Risiti yako: {link}",
    "order_paid_receipt": (
        "Oda {order} imeshalipwa yote. Malipo yako ya mwisho: KES {amount}, "
        "risiti ya M-Pesa {receipt}. Asante!"
    ),
    # amount
    "amount_ask_known": (
        "Oda {order}: kiasi kilichobaki ni KES {balance}. Lipa chote hapa chini, au andika "
        "kiasi kidogo zaidi."
    ),
    "amount_ask_unknown": (
        "Unalipa kiasi gani kwa oda {order}? Andika kiasi kwa shilingi, kwa mfano 1500."
    ),
    "amount_not_a_number": "Tafadhali andika kiasi kwa tarakimu, kwa mfano 1500.",
    "amount_not_whole": (
        "M-Pesa hupokea shilingi kamili tu. Tafadhali andika kiasi bila senti, kwa mfano 1500."
    ),
    "amount_too_small": "Kiasi lazima kiwe angalau KES {minimum}. Tafadhali andika kiasi kingine.",
    "amount_too_large": (
        "M-Pesa inaruhusu hadi KES {maximum} kwa malipo moja. Tafadhali andika kiasi kidogo zaidi."
    ),
    "amount_above_balance": (
        "Kiasi kilichobaki kwa oda hii ni KES {balance} tu. Tafadhali andika KES {balance} "
        "au chini ya hapo."
    ),
    # phone
    "phone_ask": (
        "Utalipa kwa namba gani ya M-Pesa? Iandike, kwa mfano 0712 345 678, au chagua hapa chini."
    ),
    "phone_invalid": (
        "Hiyo si namba sahihi ya simu ya Kenya. Tafadhali iandike hivi: 0712 345 678."
    ),
    "phone_not_mobile": (
        "Hiyo ni namba ya simu ya mezani. M-Pesa inahitaji namba ya simu ya mkononi, "
        "kama 0712 345 678."
    ),
    "phone_not_kenyan": (
        "Ni namba za M-Pesa za Kenya pekee zinazoweza kulipa hapa. Tafadhali andika namba "
        "kama 0712 345 678."
    ),
    "phone_contact_not_own": (
        "Hiyo si namba yako. Tafadhali tuma namba yako mwenyewe, au andika namba ya M-Pesa."
    ),
    # confirmation and payment
    "confirm_ask": "Lipa KES {amount} kwa oda {order} kutoka {phone}?",
    "already_paying": (
        "Ombi la malipo tayari linakuja kwenye simu yako. Tafadhali weka PIN yako ya M-Pesa "
        "hapo, au subiri majibu."
    ),
    "push_sent": (
        "Angalia simu yako na uweke PIN yako ya M-Pesa ili kulipa KES {amount} kwa oda {order}."
    ),
    "push_refused": "M-Pesa haikuweza kuanzisha malipo. Tafadhali jaribu tena.",
    "push_subscriber_locked": (
        "Kuna ombi lingine la M-Pesa linaloendelea kwenye simu hii. Tafadhali subiri dakika "
        "moja kisha ujaribu tena."
    ),
    "push_busy": (
        "M-Pesa ina shughuli nyingi sasa hivi. Tafadhali jaribu tena baada ya dakika moja."
    ),
    "push_unavailable": "M-Pesa haijibu kwa sasa. Tafadhali jaribu tena baada ya dakika chache.",
    "push_outcome_unknown": (
        "Tunathibitisha na M-Pesa kama ombi lako la malipo limefika. Tutakujulisha hivi punde; "
        "tafadhali usilipe mara mbili."
    ),
    # status and history
    "status_pending": (
        "Malipo yako ya mwisho, KES {amount} kwa oda {order}, bado yanasubiri M-Pesa."
    ),
    "status_paid": (
        "Malipo yako ya mwisho, KES {amount} kwa oda {order}, yamepokelewa. "
        "Risiti ya M-Pesa {receipt}."
    ),
    "status_failed": (
        "Malipo yako ya mwisho, KES {amount} kwa oda {order}, hayakukamilika ({status})."
    ),
    "status_none": "Bado huna malipo yoyote.",
    "history_header": "Malipo yako ya karibuni:",
    "history_line": "{date}: KES {amount}, oda {order}, {status}",
    "history_line_paid": "{date}: KES {amount}, oda {order}, risiti {receipt}",
    "history_empty": "Bado huna malipo yoyote.",
    "payment_status_pending": "inasubiri",
    "payment_status_paid": "imelipwa",
    "payment_status_failed": "haikufaulu",
    "payment_status_cancelled": "imeghairiwa",
    "payment_status_expired": "hakuna jibu",
    "payment_status_mismatched": "inakaguliwa",
    # buttons
    "button_pay_order": "Lipia oda",
    "button_my_payments": "Malipo yangu",
    "button_help": "Msaada",
    "button_pay_amount": "Lipa KES {amount}",
    "button_share_phone": "Tuma namba yangu",
    "button_use_phone": "Tumia {phone}",
    "whatsapp_list_button": "Chagua",
    "button_pay": "Lipa",
    "button_change_phone": "Badilisha namba",
    "button_cancel": "Ghairi",
    "button_try_again": "Jaribu tena",
    "button_english": "English",
    "button_swahili": "Kiswahili",
}

# How payments ended, the USSD and SMS wording, the staff's notices, Buy-Now-Pay-Later and
# push-limit texts live in their own modules; every lookup sees them.
TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {**_EN, **OUTCOME_EN, **USSD_EN, **NOTICE_EN, **PLAN_EN, **LIMIT_EN, **VERIFY_EN},
    "sw": {**_SW, **OUTCOME_SW, **USSD_SW, **NOTICE_SW, **PLAN_SW, **LIMIT_SW, **VERIFY_SW},
}

# How staff read a channel's name: proper names, the same in every language.
CHANNEL_NAMES: Final[Mapping[Channel, str]] = {
    Channel.TELEGRAM: "Telegram",
    Channel.USSD: "USSD",
    Channel.DEMO: "demo",
    Channel.WEB: "web",
    Channel.WHATSAPP: "WhatsApp",
}


def channel_name(channel: Channel) -> str:
    """The channel's name as staff read it (``USSD``, ``Telegram``)."""
    return CHANNEL_NAMES.get(channel, channel.value)


def t(language: Language, key: str, **params: object) -> str:
    """The text ``key`` in ``language`` with ``params`` filled in.

    Integers are shown with thousands separators (``1500`` → ``1,500``); pass other values
    already formatted. Extra params are ignored, so one set can serve related texts; a
    missing one raises KeyError, as does an unknown key.
    """
    return TEXTS[language][key].format(**format_numbers(params))


def receipt(language: Language, receipt_number: str | None) -> str:
    """The receipt as a customer reads it: the number, or "to follow" while it is unknown.

    A payment settled by an STK Push Query has no receipt until the callback after it
    arrives (``M-Pesa receipt to follow.``); the receipt then goes out in its own message.
    """
    return receipt_number or TEXTS[language]["receipt_to_follow"]


def placeholders(template: str) -> frozenset[str]:
    """The names of the ``{placeholders}`` in ``template``."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(template) if name is not None
    )
