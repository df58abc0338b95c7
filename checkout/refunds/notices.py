"""Who is told what about a refund, queued in the outbox in the refund's own transaction.

Every message has a dedupe key, so a replayed result or a second press queues none twice. The
words are :mod:`checkout.i18n.refunds`'; the staff's buttons carry ``refund:approve:<id>`` and
``refund:reject:<id>`` (see :func:`parse_press`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from checkout.domain.records import Channel, Payment, StaffChat
from checkout.domain.refunds import RefundOutcome, RefundView
from checkout.domain.replies import Button, Reply, reply_to_payload
from checkout.domain.time import Clock
from checkout.i18n import refunds as say
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork

PRESS_PREFIX: Final = "refund:"
# Channels a customer can be told on by a message (the payment page and the log have no chat).
# The chats a customer reads (the demo's terminal is one: `lipa demo --refund` shows it).
_CUSTOMER_CHANNELS: Final = frozenset(
    {Channel.TELEGRAM, Channel.WHATSAPP, Channel.USSD, Channel.DEMO}
)


def press_data(action: str, refund_id: int) -> str:
    """A button's data: ``refund:approve:12`` (well within Telegram's 64 bytes)."""
    return f"{PRESS_PREFIX}{action}:{refund_id}"


def parse_press(data: str) -> tuple[str, int] | None:
    """``("approve" | "reject", refund id)`` from a button's data, or None if not ours."""
    if not data.startswith(PRESS_PREFIX):
        return None
    action, _, identifier = data.removeprefix(PRESS_PREFIX).partition(":")
    if action not in ("approve", "reject") or not identifier.isdigit() or len(identifier) > 10:
        return None
    return action, int(identifier)


class RefundNotices:
    """Queues the staff's and the customer's messages about refunds."""

    def __init__(self, *, clock: Clock, staff: StaffChat | None, sms: bool = False) -> None:
        """``sms``: SMS is configured, so a customer who paid on the web page (which has no
        chat to write to) is told by SMS at the number that paid."""
        self._clock = clock
        self._staff = staff
        self._sms = sms

    @property
    def staff(self) -> StaffChat | None:
        """Where staff notices go (None: nowhere)."""
        return self._staff

    async def requested(self, unit: UnitOfWork, view: RefundView) -> None:
        """The request, with Approve and Reject, in the staff chat."""
        if self._staff is None:
            return
        language = (await read_by(unit, self._staff)).language
        refund_id = view.refund.id
        buttons = tuple(
            Button(say.press_label(language, action), press_data(action, refund_id))
            for action in ("approve", "reject")
        )
        reply = Reply(say.request_text(language, view), buttons=(buttons,))
        await self._to_staff(unit, reply, f"refund:{refund_id}:requested")

    async def decided(self, unit: UnitOfWork, outcome: RefundOutcome, view: RefundView) -> None:
        """An approval, a rejection or an expiry, told in the staff chat."""
        if self._staff is None:
            return
        staff = await read_by(unit, self._staff)
        text = say.outcome_text(staff.language, outcome, view)
        await self._to_staff(unit, Reply(text), f"refund:{view.refund.id}:{outcome.value}")

    async def completed(self, unit: UnitOfWork, view: RefundView) -> None:
        """The money went back: the customer (in their language, on their channel), the staff."""
        chat = self._customer_chat(view.payment)
        if chat is not None:
            text = say.completed_customer_text(view.payment.language, view)
            await self._queue(unit, chat, Reply(text), f"refund:{view.refund.id}:customer")
        if self._staff is not None:
            staff = await read_by(unit, self._staff)
            text = say.completed_staff_text(staff.language, view, full=staff.full_phones)
            await self._to_staff(unit, Reply(text), f"refund:{view.refund.id}:completed")

    def _customer_chat(self, payment: Payment) -> tuple[Channel, str] | None:
        """Where the customer who made ``payment`` is told (None: nowhere)."""
        if payment.channel in _CUSTOMER_CHANNELS:
            return payment.channel, payment.chat_key
        if payment.channel is Channel.WEB and self._sms and payment.phone.isdigit():
            # The page's customer is known by the phone that paid: SMS goes out as USSD's do.
            return Channel.USSD, payment.phone
        return None

    async def failed(self, unit: UnitOfWork, view: RefundView) -> None:
        """The refund failed: the staff chat, and the requester and approver in private."""
        refund = view.refund
        if self._staff is None:
            return
        staff = await read_by(unit, self._staff)
        text = say.failed_staff_text(staff.language, view)
        await self._to_staff(unit, Reply(text), f"refund:{refund.id}:failed")
        if self._staff.channel is not Channel.TELEGRAM:
            return
        for role, actor in (("requester", refund.requested_by), ("approver", refund.approved_by)):
            kind, _, user = (actor or "").partition(":")
            if kind != "telegram" or not user.isdigit() or user == self._staff.chat_key:
                continue
            # Their private chat: in their own language (the default if they never chose).
            private = replace(self._staff, chat_key=user, user_id=int(user))
            language = (await read_by(unit, private)).language
            text = say.failed_staff_text(language, view)
            chat = (Channel.TELEGRAM, user)
            await self._queue(unit, chat, Reply(text), f"refund:{refund.id}:failed:{role}")

    async def unknown(self, unit: UnitOfWork, view: RefundView) -> None:
        """M-Pesa never said what became of a sent refund."""
        if self._staff is None:
            return
        staff = await read_by(unit, self._staff)
        text = say.unknown_staff_text(staff.language, view)
        await self._to_staff(unit, Reply(text), f"refund:{view.refund.id}:unknown")

    async def _to_staff(self, unit: UnitOfWork, reply: Reply, dedupe_key: str) -> None:
        assert self._staff is not None
        await self._queue(unit, (self._staff.channel, self._staff.chat_key), reply, dedupe_key)

    async def _queue(
        self, unit: UnitOfWork, chat: tuple[Channel, str], reply: Reply, dedupe_key: str
    ) -> None:
        channel, chat_key = chat
        await unit.outbox.add(
            channel=channel,
            chat_key=chat_key,
            payload=reply_to_payload(reply),
            now=self._clock(),
            dedupe_key=dedupe_key,
        )
