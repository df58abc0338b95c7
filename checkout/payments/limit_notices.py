"""The staff's alert about a sender over the push limit, queued in the limiting transaction.

:class:`checkout.payments.limits.PushLimiter` decides that a sender ran into the per-sender
limit (a :class:`~checkout.domain.outcomes.SenderOverLimit`); this says it in the staff
reader's language (:func:`checkout.i18n.payments.refusals.push_abuse_text`) and queues it in
the outbox in the same unit of work. Its dedupe key is the sender, so the staff hear of each
sender once, ever.
"""

from __future__ import annotations

from datetime import datetime

from checkout.domain.outcomes import SenderOverLimit
from checkout.domain.records import StaffChat
from checkout.i18n.payments.refusals import push_abuse_text
from checkout.outbox.replies import queue_reply
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork


class LimitNotices:
    """Queues the staff's alert about a sender over the limit (nothing without ``staff``)."""

    def __init__(self, staff: StaffChat | None = None) -> None:
        self._staff = staff

    async def sender_over_limit(
        self, unit: UnitOfWork, alert: SenderOverLimit, *, now: datetime
    ) -> None:
        """Tell the staff about ``alert``'s sender; the outbox keeps it to one per sender."""
        if self._staff is None:
            return
        staff = await read_by(unit, self._staff)
        await queue_reply(
            unit.outbox,
            staff,
            push_abuse_text(staff.language, alert),
            now=now,
            dedupe_key=f"push-abuse:{alert.sender}"[:128],
        )
