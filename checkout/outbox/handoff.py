"""The process's outbox sender as commits see it, made before the sender exists.

Commits hand the messages they queue to the sender in this process (see
:class:`checkout.outbox.ports.OutboxDelivery`), so the units of work need the sender; the
sender needs the units of work to claim and mark its messages. :class:`SenderSlot` breaks the
cycle: it is made first and given to the units, and the sender takes its place in it as it
is built (``OutboxSender(..., slot=...)``). Nothing is assigned onto built objects.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from checkout.domain.records import Channel, OutboxMessage
from checkout.outbox.ports import OutboxDelivery


class SenderSlot:
    """An :class:`OutboxDelivery` that forwards to the one sender that took the slot.

    While empty it behaves as no sender at all: nothing is claimed for it, nothing handed.
    """

    def __init__(self) -> None:
        self._sender: OutboxDelivery | None = None

    def take_place(self, sender: OutboxDelivery) -> None:
        """Become ``sender`` for every commit from now on; a slot holds one sender only."""
        if self._sender is not None:
            raise RuntimeError("this slot already holds a sender")
        self._sender = sender

    def lease_until(self) -> datetime | None:
        """The sender's lease for new messages; None while the slot is empty."""
        return self._sender.lease_until() if self._sender is not None else None

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Hand claimed messages to the sender."""
        if self._sender is not None:
            self._sender.take(messages)

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """Tell the sender of messages no commit could claim."""
        if self._sender is not None:
            self._sender.waiting(chats)
