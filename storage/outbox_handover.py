"""The outbox's part in a commit: claim new messages for this process's sender, wake the rest.

Registered on every unit of work (see :class:`storage.unit_of_work.SqlUnits`) as a step run
just before the transaction commits. It writes the messages the unit queued, claiming them for
``delivery`` (the sender in this process, while it runs) and hands them over once committed;
what it could not claim (a chat with an earlier message still waiting) wakes the sender, and
on PostgreSQL the other processes' too (``NOTIFY``, delivered only if the commit happens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checkout.outbox.ports import OutboxDelivery
from storage.notify import notify_in

if TYPE_CHECKING:
    from storage.unit_of_work import SqlUnitOfWork


class OutboxHandOver:
    """Hands the messages each commit queues to ``delivery``; tells other processes of the rest.

    ``delivery`` is the process's outbox sender (or the slot it takes its place in once built,
    as it needs the units first). ``origin`` marks the PostgreSQL notifications, so this
    process's own listener can tell them from other processes'.
    """

    def __init__(self, origin: str, delivery: OutboxDelivery | None = None) -> None:
        self.origin = origin
        self._delivery = delivery

    @property
    def delivery(self) -> OutboxDelivery | None:
        """Where committed messages are handed (None: no sender in this process)."""
        return self._delivery

    def attach(self, unit: SqlUnitOfWork) -> None:
        """Run :meth:`before_commit` in every commit of ``unit``."""
        unit.before_commit(lambda: self.before_commit(unit))

    async def before_commit(self, unit: SqlUnitOfWork) -> None:
        """Write the queued messages (claimed for the sender) and arrange their hand-over."""
        delivery = self._delivery
        claimed = await unit.outbox.flush(
            claim_until=delivery.lease_until() if delivery is not None else None
        )
        waiting = unit.outbox.unclaimed
        if waiting and unit.session.get_bind().dialect.name == "postgresql":
            # Other processes' senders listen for this; it is delivered only on commit.
            await notify_in(unit.session, self.origin)

        def hand_over() -> None:
            unit.outbox.unclaimed = set()
            if delivery is not None:
                if claimed:
                    delivery.take(claimed)
                if waiting:
                    delivery.waiting(waiting)

        unit.after_commit(hand_over)
