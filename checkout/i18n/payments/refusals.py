"""A push refused by a limit, in words: why, how long to wait, and until when (Nairobi time).

Each channel's presenter (Telegram, USSD, WhatsApp, the web page, the demo) says a
:class:`checkout.domain.outcomes.PushRefused` with :func:`refusal_text`; the services never do.
The staff's alert about a sender over the limit is written here too, and their notice of an
order a customer declined as "Not mine" (both name the sender as staff read it).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from checkout.domain.money import format_number
from checkout.domain.outcomes import NotMine, PushRefused, RefusalReason, SenderOverLimit
from checkout.domain.phones import mask_phone
from checkout.domain.records import Channel, Language
from checkout.domain.time import NAIROBI
from checkout.i18n.payments.ways_out import cancel_hold_text, other_way_text, w
from checkout.i18n.texts import channel_name, t
from checkout.i18n.times import clock_time

REFUSAL_KEYS = {
    RefusalReason.PHONE_LIMIT: "push_refused_phone_limit",
    RefusalReason.SENDER_LIMIT: "push_refused_sender_limit",
    RefusalReason.PHONE_PAUSED: "push_refused_phone_paused",
}


def wait_text(language: Language, seconds: float) -> str:
    """How long to wait, rounded up: ``1 minute``, ``9 minutes``, ``3 hours``."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes == 1:
        return t(language, "wait_minute")
    if minutes <= 120:
        return t(language, "wait_minutes", count=minutes)
    return t(language, "wait_hours", count=math.ceil(minutes / 60))


def refusal_text(language: Language, refused: PushRefused, *, sms: bool = False) -> str:
    """One sentence telling the customer why no prompt was sent and how long to wait.

    An order held after two cancelled prompts says so, with the other way to pay it
    meanwhile where there is one (``sms``: in the GSM alphabet, for USSD and SMS).
    """
    if refused.reason is RefusalReason.ORDER_PAUSED and refused.order_reference is not None:
        text = cancel_hold_text(language, refused.order_reference, refused.retry_at)
        offer = refused.offer
        if offer is None:
            return text
        other = other_way_text(
            language,
            till=offer.pay_to.till,
            number=offer.pay_to.number,
            account=offer.order_reference,
            amount=offer.amount,
            sms=sms,
        )
        return f"{text}\n{other}"
    return t(
        language,
        REFUSAL_KEYS[refused.reason],
        wait=wait_text(language, (refused.retry_at - refused.at).total_seconds()),
        time=clock_time(language, _minute_after(refused.retry_at).astimezone(NAIROBI).time()),
    )


def _minute_after(moment: datetime) -> datetime:
    """``moment`` rounded up to a whole minute: trying at the time shown is never too early."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def shown_sender(sender: str) -> str:
    """A sender as staff read it: the channel's name and the id, a USSD caller's number masked."""
    channel, _, key = sender.partition(":")
    if channel in (Channel.USSD.value, Channel.WHATSAPP.value):
        # Both are keyed by the customer's phone number (a wa_id is one).
        return f"{channel_name(Channel(channel))} {mask_phone(key)}"
    if channel == Channel.TELEGRAM.value:
        return f"{channel_name(Channel.TELEGRAM)} {key}"
    return sender


def push_abuse_text(language: Language, alert: SenderOverLimit) -> str:
    """The staff's alert: a sender asked for more than ``count`` pushes in ``minutes``."""
    return t(
        language,
        "staff_push_abuse",
        sender=shown_sender(alert.sender),
        count=alert.count,
        minutes=alert.minutes,
        phone=mask_phone(alert.phone),
    )


def declined_staff_text(language: Language, declined: NotMine) -> str:
    """The staff's notice that a customer declined an order as "Not mine"."""
    return w(
        language,
        "staff_declined",
        order=declined.order_reference,
        balance=format_number(declined.balance),
        who=shown_sender(declined.sender),
    )
