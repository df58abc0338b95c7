"""The staff's alerts about pushes and orders, queued in the transaction that decided them.

Outside settling (whose notices are :mod:`checkout.payments.settling.notices`), two services
decide something the staff must hear of: the push limiter, a sender over the per-sender limit
(:class:`~checkout.domain.outcomes.SenderOverLimit`, once per sender, ever), and the open
orders, an order a customer declined as "Not mine" (:class:`~checkout.domain.outcomes.NotMine`,
once per order and customer). This says each in the staff reader's language (the words are
:mod:`checkout.i18n.payments.refusals`') and queues
it in the outbox in the same unit of work, so none is lost and the dedupe key doubles none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.outcomes import NotMine, SenderOverLimit
from checkout.domain.records import Language, StaffChat
from checkout.i18n.payments.refusals import declined_staff_text, push_abuse_text
from checkout.outbox.replies import queue_reply
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork


class StaffAlerts:
    """Queues the staff's alerts (nothing without ``staff``)."""

    def __init__(self, staff: StaffChat | None = None) -> None:
        self._staff = staff

    async def sender_over_limit(
        self, unit: UnitOfWork, alert: SenderOverLimit, *, now: datetime
    ) -> None:
        """Tell the staff about ``alert``'s sender; the outbox keeps it to one per sender."""
        await self._tell(
            unit,
            lambda language: push_abuse_text(language, alert),
            f"push-abuse:{alert.sender}"[:128],
            now,
        )

    async def not_mine(self, unit: UnitOfWork, declined: NotMine, *, now: datetime) -> None:
        """Tell the staff a customer declined an order; once per order and customer."""
        await self._tell(
            unit,
            lambda language: declined_staff_text(language, declined),
            f"order:{declined.order_reference}:declined:{declined.customer_id}",
            now,
        )

    async def _tell(
        self,
        unit: UnitOfWork,
        words: Callable[[Language], str],
        dedupe_key: str,
        now: datetime,
    ) -> None:
        """Queue ``words`` in the staff reader's language, once per ``dedupe_key``."""
        if self._staff is None:
            return
        staff = await read_by(unit, self._staff)
        await queue_reply(unit.outbox, staff, words(staff.language), now=now, dedupe_key=dedupe_key)
