"""Limits on the STK pushes a person asks for, so nobody can flood a phone with prompts.

Anyone in a chat can type any number, and every push puts a PIN prompt on that phone. The
pushes a person asks for (through a chat, USSD, or later the web) are therefore limited:

- per phone number: ``per_phone`` pushes in ``phone_window`` (default 3 in 10 minutes);
- per sender (a Telegram user, a USSD caller): ``per_sender`` in ``sender_window`` (10 an hour);
- a number whose last ``cancels_in_a_row`` prompts were cancelled on the phone (result code
  1032, one after the other, whoever asked for them) is paused for ``pause`` after the last
  cancellation; any other outcome in between (paid, failed, expired) breaks the run;
- an order whose last two prompts were cancelled gets no prompt for an hour, to any number
  (:func:`checkout.payments.other_way.cancel_hold_until`): "Try again" from another number,
  or the order paid again from another chat, is held back too, with the other way to pay.

A refused push is not counted. The first time a sender runs into the per-sender limit the
staff are told, once per sender ever, through the outbox: the limiter decides
(:class:`~checkout.domain.outcomes.SenderOverLimit`) and
:mod:`checkout.payments.staff_alerts` says and queues it in the same transaction.

The pushes the business schedules (installment collection and its retries) keep their own
rules: they never come through here, so they are neither counted nor held back.

Counting and recording happen in the transaction that stores the payment, after the
repository's ``hold`` (a lock per phone and sender on PostgreSQL,
SQLite's one write lock): two processes cannot both take the last slot. The service returns
a :class:`PushRefused`; each channel's presenter says it in words
(:func:`checkout.i18n.payments.refusals.refusal_text`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.domain.outcomes import PushRefused, RefusalReason, SenderOverLimit
from checkout.domain.phones import mask_phone
from checkout.domain.records import Channel, Customer, StaffChat
from checkout.domain.result_codes import ResultCode
from checkout.payments.ports import HistoryAsked
from checkout.payments.staff_alerts import StaffAlerts
from checkout.payments.unit import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PushLimits:
    """How many pushes a person may ask for (see the module's docstring)."""

    per_phone: int = 3
    phone_window: timedelta = timedelta(minutes=10)
    per_sender: int = 10
    sender_window: timedelta = timedelta(hours=1)
    cancels_in_a_row: int = 2
    pause: timedelta = timedelta(hours=1)


def sender_of(customer: Customer) -> str:
    """Who asked for a push: the Telegram user (or chat), the USSD caller's number."""
    if customer.channel is Channel.TELEGRAM and customer.telegram_user_id is not None:
        return f"{customer.channel.value}:{customer.telegram_user_id}"
    return f"{customer.channel.value}:{customer.chat_key}"


class PushLimiter:
    """Decides, inside the payment's transaction, whether a push a person asked for may go."""

    def __init__(self, limits: PushLimits, *, staff: StaffChat | None = None) -> None:
        self.limits = limits
        self._alerts = StaffAlerts(staff)

    async def admit(
        self, unit: UnitOfWork, *, phone: str, sender: str, now: datetime
    ) -> PushRefused | None:
        """Count a push to ``phone`` for ``sender`` and return None, or return the refusal.

        The caller commits either way: a first refusal by the per-sender limit queues the
        staff alert in the same transaction.
        """
        limits = self.limits
        repository = unit.push_limits
        await repository.hold(phone, sender)
        refusals: list[PushRefused] = []
        history = await repository.history(
            HistoryAsked(
                phone,
                sender,
                phone_since=now - limits.phone_window,
                phone_limit=limits.per_phone,
                sender_since=now - limits.sender_window,
                sender_limit=limits.per_sender,
                outcomes=limits.cancels_in_a_row,
            )
        )
        to_phone = history.to_phone
        if len(to_phone) >= limits.per_phone:
            # A slot frees once the oldest of the last per_phone pushes leaves the window.
            refusals.append(
                PushRefused(RefusalReason.PHONE_LIMIT, min(to_phone) + limits.phone_window, now)
            )
        by_sender = history.by_sender
        if len(by_sender) >= limits.per_sender:
            refusals.append(
                PushRefused(RefusalReason.SENDER_LIMIT, min(by_sender) + limits.sender_window, now)
            )
        outcomes = history.outcomes
        if len(outcomes) >= limits.cancels_in_a_row and all(
            outcome.result_code == ResultCode.CANCELLED for outcome in outcomes
        ):
            until = max(outcome.settled_at for outcome in outcomes) + limits.pause
            if until > now:
                refusals.append(PushRefused(RefusalReason.PHONE_PAUSED, until, now))
        if not refusals:
            await repository.record(phone, sender, now=now)
            return None
        # The customer is told the longest wait: asking before it ends is refused again.
        refused = max(refusals, key=lambda refusal: refusal.retry_at)
        log.info(
            "push to %s for %s refused (%s) until %s",
            mask_phone(phone),
            sender.partition(":")[0],
            ", ".join(refusal.reason.value for refusal in refusals),
            refused.retry_at.isoformat(),
        )
        if any(refusal.reason is RefusalReason.SENDER_LIMIT for refusal in refusals):
            alert = SenderOverLimit(
                sender, phone, limits.per_sender, _minutes(limits.sender_window)
            )
            await self._alerts.sender_over_limit(unit, alert, now=now)
        return refused


def _minutes(window: timedelta) -> int:
    return max(1, round(window.total_seconds() / 60))
