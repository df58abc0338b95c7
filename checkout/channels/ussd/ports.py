"""What the USSD channel needs from storage: its sessions, in a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from checkout.payments.unit import UnitOfWork


class UssdStatus(StrEnum):
    """Where a USSD session stands."""

    OPEN = "open"  # the last answer was CON: the customer may answer
    ENDED = "ended"  # the last answer was END
    COMPLETED = "completed"  # the gateway reported the session finished normally
    ABANDONED = "abandoned"  # the gateway reported the customer left or the session failed


@dataclass(frozen=True, slots=True)
class UssdSession:
    """A USSD session as stored: the inputs answered so far and the screen last shown.

    ``text`` is the gateway's ``text`` last answered (every input joined by ``*``);
    ``screen`` is the JSON form of that screen and ``page`` the page shown. ``version`` is 0
    for a session not stored yet; ``updated_at`` is when it last changed (None until stored).
    """

    session_id: str
    phone: str
    service_code: str
    network_code: str
    text: str
    screen: dict[str, Any]
    page: int = 0
    status: UssdStatus = UssdStatus.OPEN
    version: int = 0
    updated_at: datetime | None = None


class UssdSessionRepository(Protocol):
    """USSD sessions by the gateway's session id, with optimistic concurrency."""

    async def get(self, session_id: str) -> UssdSession | None:
        """The stored session, or None."""
        ...

    async def latest_of(self, phone: str, *, other_than: str) -> UssdSession | None:
        """The session of ``phone`` that changed last, leaving out session ``other_than``."""
        ...

    async def save(self, session: UssdSession, *, now: datetime) -> bool:
        """Store ``session`` if it is still at its ``version``; False if another request won."""
        ...

    async def record_end(
        self,
        *,
        session_id: str,
        phone: str,
        service_code: str,
        network_code: str,
        status: UssdStatus,
        gateway_status: str,
        error: str | None,
        now: datetime,
    ) -> None:
        """Record the gateway's end-of-session notice (a session never seen is created)."""
        ...


class UssdUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the USSD sessions."""

    @property
    def ussd_sessions(self) -> UssdSessionRepository:
        """The USSD sessions of this unit."""
        ...


UssdUnitOfWorkFactory = Callable[[], UssdUnitOfWork]
