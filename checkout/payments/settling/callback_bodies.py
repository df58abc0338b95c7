"""Kept callback bodies: the ones that could not be settled, the staff's alert, replays.

The callback route keeps every body it receives with the right secret. One that settles is
stored in the settlement's own transaction (see :mod:`checkout.payments.settling.settle`); one
that cannot be parsed or settled is stored here, with one staff alert naming its id (a
:class:`~checkout.domain.outcomes.BodyKept` said and queued by the settlement's notices, in the
same transaction), so that ``lipa callbacks replay ID`` can run it again once the cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from checkout.domain.outcomes import BodyKept
from checkout.domain.records import BodyStatus, KeptBody, ReceivedBody
from checkout.domain.time import Clock
from checkout.payments.settling.notices import SettlementNotices
from checkout.payments.unit import UnitOfWorkFactory

log = logging.getLogger(__name__)

# A reason is shown to staff and stored: the parser's words, cut to a line.
MAX_REASON_LENGTH = 200


class CallbackBodies:
    """Stores unsettled callback bodies, alerts the staff about them, and records replays."""

    def __init__(
        self, units: UnitOfWorkFactory, *, clock: Clock, notices: SettlementNotices
    ) -> None:
        self._units = units
        self._clock = clock
        # Who is told of a kept body (the staff, in their reader's language), and in what words.
        self._notices = notices

    async def keep_unsettled(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        reason: str,
        checkout_request_id: str | None = None,
    ) -> int:
        """Store a body that was refused or failed, with one staff alert; its id."""
        reason = reason[:MAX_REASON_LENGTH]
        async with self._units() as unit:
            body_id = await unit.callback_bodies.add(
                received, status=status, note=reason, checkout_request_id=checkout_request_id
            )
            await self._notices.body_kept(unit, BodyKept(body_id, status, reason))
            await unit.commit()
        log.warning("callback body %s kept %s: %s", body_id, status.value, reason)
        return body_id

    async def keep(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> int:
        """Store a body that was taken (no alert): every body a route receives is kept."""
        async with self._units() as unit:
            body_id = await unit.callback_bodies.add(
                received,
                status=status,
                note=None if note is None else note[:MAX_REASON_LENGTH],
                checkout_request_id=checkout_request_id,
            )
            await unit.commit()
        return body_id

    async def get(self, body_id: int) -> KeptBody | None:
        """The kept body with this id, or None."""
        async with self._units() as unit:
            return await unit.callback_bodies.get(body_id)

    async def recent(self, *, limit: int = 50, needing_replay: bool = False) -> Sequence[KeptBody]:
        """The newest kept bodies (only refused and failed ones with ``needing_replay``)."""
        async with self._units() as unit:
            return await unit.callback_bodies.recent(limit=limit, needing_replay=needing_replay)

    async def record_replay(
        self,
        body_id: int,
        *,
        status: BodyStatus,
        note: str | None,
        checkout_request_id: str | None = None,
    ) -> None:
        """Record what replaying a body did."""
        async with self._units() as unit:
            await unit.callback_bodies.mark(
                body_id,
                status=status,
                note=None if note is None else note[:MAX_REASON_LENGTH],
                checkout_request_id=checkout_request_id,
                now=self._clock(),
            )
            await unit.commit()
