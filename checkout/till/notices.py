"""The messages a till credit queues: the customer's and the staff's, in the crediting transaction.

Every one has a dedupe key made of the transaction id, so a second delivery of the same
transaction (confirmation twice, confirmation and statement) queues none. The staff's daily
statement line is queued here too, keyed by its day. What each says is written by
:mod:`checkout.i18n.till.credits`.
"""

from __future__ import annotations

from datetime import date

from checkout.domain.records import Channel, Order, StaffChat
from checkout.domain.time import Clock
from checkout.i18n.till import credits as say
from checkout.outbox.replies import queue_reply
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork
from checkout.till.ports import LedgerTotals, PayerChat
from checkout.till.records import TillPayment

# Channels a customer can be written to about a till payment (the web page reads its own).
REACHABLE = frozenset({Channel.TELEGRAM, Channel.WHATSAPP, Channel.USSD, Channel.DEMO})


class TillNotices:
    """Queues the customer's and the staff's messages about till transactions."""

    def __init__(self, *, clock: Clock, staff: StaffChat | None) -> None:
        self._clock = clock
        self._staff = staff

    async def credited(
        self,
        unit: UnitOfWork,
        payment: TillPayment,
        order: Order,
        chat: PayerChat | None,
        *,
        how: str,
        by: str | None = None,
    ) -> None:
        """A transaction was credited to ``order``: the payer (when reachable), the staff."""
        code = payment.transaction_id
        if chat is not None and chat.channel in REACHABLE:
            text = say.customer_credited(chat.language, payment, order)
            await queue_reply(
                unit.outbox, chat, text, now=self._clock(), dedupe_key=f"till:{code}:customer"
            )
        if self._staff is not None:
            staff = await read_by(unit, self._staff)
            text = say.staff_credited(staff, payment, order, how, by)
            await self._staff_notice(unit, text, f"till:{code}:staff")

    async def queued(self, unit: UnitOfWork, payment: TillPayment) -> None:
        """A transaction nobody could match waits in the staff's queue."""
        if self._staff is not None:
            text = say.staff_queued(await read_by(unit, self._staff), payment)
            await self._staff_notice(unit, text, f"till:{payment.transaction_id}:queued")

    async def not_ours(self, unit: UnitOfWork, payment: TillPayment, by: str) -> None:
        """Someone marked a queued transaction not ours."""
        if self._staff is not None:
            staff = await read_by(unit, self._staff)
            text = say.staff_not_ours(staff.language, payment, by)
            await self._staff_notice(unit, text, f"till:{payment.transaction_id}:not_ours")

    async def daily(self, unit: UnitOfWork, day: date, totals: LedgerTotals) -> None:
        """The staff's daily line: ``day``'s transactions against Lipa's books, once per day."""
        if self._staff is not None:
            staff = await read_by(unit, self._staff)
            text = say.daily_line(
                staff.language,
                day.strftime("%d/%m/%Y"),
                totals.count,
                totals.amount,
                totals.matched,
                totals.unmatched,
            )
            await self._staff_notice(unit, text, f"till:daily:{day.isoformat()}")

    async def _staff_notice(self, unit: UnitOfWork, text: str, dedupe_key: str) -> None:
        if self._staff is None:
            return
        await queue_reply(
            unit.outbox, self._staff, text, now=self._clock(), dedupe_key=dedupe_key, digest=True
        )
