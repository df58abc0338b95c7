"""What customers and staff read when a push limit holds a payment back, in English and Swahili.

:mod:`checkout.i18n.texts` merges these into its tables, so the usual checks (both languages, same
placeholders, GSM alphabet, one screen) apply; :mod:`checkout.i18n.payments.refusals` puts a
refusal into these words. Keys start with ``push_refused_``, ``wait_`` or ``staff_push_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LIMIT_EN: Final[Mapping[str, str]] = {
    "push_refused_phone_limit": (
        "Too many M-Pesa prompts have gone to this number lately. "
        "Please wait {wait} and try again (after {time})."
    ),
    "push_refused_sender_limit": (
        "You have asked for too many M-Pesa prompts lately. "
        "Please wait {wait} and try again (after {time})."
    ),
    "push_refused_phone_paused": (
        "The last M-Pesa prompts to this number were cancelled, so we have paused them. "
        "Please wait {wait} and try again (after {time})."
    ),
    "wait_minute": "1 minute",
    "wait_minutes": "{count} minutes",
    "wait_hours": "{count} hours",
    "staff_push_abuse": (
        "Check: {sender} asked for more than {count} M-Pesa prompts in {minutes} minutes "
        "(the last to {phone}). Their further pushes wait; this alert is sent once."
    ),
}

LIMIT_SW: Final[Mapping[str, str]] = {
    "push_refused_phone_limit": (
        "Maombi mengi ya M-Pesa yametumwa kwa nambari hii hivi karibuni. "
        "Tafadhali subiri {wait} kisha ujaribu tena, baada ya {time}."
    ),
    "push_refused_sender_limit": (
        "Umeomba maombi mengi mno ya M-Pesa hivi karibuni. "
        "Tafadhali subiri {wait} kisha ujaribu tena, baada ya {time}."
    ),
    "push_refused_phone_paused": (
        "Maombi ya M-Pesa ya mwisho kwa nambari hii yalighairiwa, kwa hivyo tumeyasimamisha. "
        "Tafadhali subiri {wait} kisha ujaribu tena, baada ya {time}."
    ),
    "wait_minute": "dakika 1",
    "wait_minutes": "dakika {count}",
    "wait_hours": "saa {count}",
    "staff_push_abuse": (
        "Kagua: {sender} aliomba zaidi ya maombi {count} ya M-Pesa ndani ya dakika {minutes} "
        "(la mwisho kwa {phone}). Maombi yake mengine yanasubiri; taarifa hii inatumwa mara moja."
    ),
}
