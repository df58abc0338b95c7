"""What the initiator desk needs from outside: its stored requests, and Daraja behind an adapter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from checkout.initiator.records import (
    InitiatorAccepted,
    InitiatorAnswer,
    InitiatorRequest,
    NewInitiatorRequest,
)


class InitiatorRefused(Exception):
    """Daraja did not take an initiator request.

    ``retry`` is true when asking again later may work (Daraja busy or unreachable, an
    unknown outcome); false when it cannot (no initiator configured, credentials refused).
    ``detail`` is for logs and staff only.
    """

    def __init__(self, detail: str, *, retry: bool, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry = retry
        self.code = code


class InitiatorGateway(Protocol):
    """Sends initiator requests to Daraja (issue 15 adds Reversal and B2C here)."""

    async def transaction_status(
        self, transaction_id: str, *, originator_conversation_id: str
    ) -> InitiatorAccepted:
        """Ask Transaction Status about ``transaction_id``; raises :class:`InitiatorRefused`."""
        ...


class InitiatorRequestStore(Protocol):
    """The stored initiator requests; each call is its own short transaction."""

    async def add(
        self,
        request: NewInitiatorRequest,
        *,
        originator_conversation_id: str,
        now: datetime,
        next_check_at: datetime,
    ) -> InitiatorRequest:
        """Store a new request (state ``asked``, not yet sent)."""
        ...

    async def get(self, request_id: int) -> InitiatorRequest | None:
        """The request with this id, or None."""
        ...

    async def find(self, ids: Sequence[str]) -> InitiatorRequest | None:
        """The request any of ``ids`` names: our originator id, or Daraja's conversation or
        originator id of its latest attempt (an earlier attempt's answer is found by its
        subject instead)."""
        ...

    async def waiting_for(self, subject: str) -> Sequence[InitiatorRequest]:
        """The requests about ``subject`` still waiting for an answer, newest first."""
        ...

    async def sent(
        self,
        request_id: int,
        accepted: InitiatorAccepted | None,
        *,
        now: datetime,
        next_check_at: datetime,
    ) -> None:
        """One more attempt was made (``accepted``: Daraja took it; None: it was refused
        and will be tried again at ``next_check_at``)."""
        ...

    async def answer(
        self, request_id: int, answer: InitiatorAnswer, *, now: datetime, recheck_at: datetime
    ) -> bool:
        """Record the answer if none was recorded yet (True); ``recheck_at`` is when a handler
        that did not finish (a crash) is run again."""
        ...

    async def time_out(self, request_id: int, *, now: datetime, next_check_at: datetime) -> bool:
        """Mark a waiting request timed out, to be asked again at ``next_check_at``."""
        ...

    async def finish(
        self, request_id: int, outcome: str, *, now: datetime, failed: bool = False
    ) -> None:
        """Record what the handler made of the request (``failed``: given up on it)."""
        ...

    async def count_since(self, purpose: str, requester: str, since: datetime) -> int:
        """How many requests of ``purpose`` ``requester`` made since ``since``."""
        ...

    async def unfinished(self) -> int:
        """How many requests still wait for an answer or for their handler."""
        ...

    async def claim_due(
        self, now: datetime, *, until: datetime, limit: int
    ) -> Sequence[InitiatorRequest]:
        """Requests whose check is due (waiting ones, and answered ones whose handler did not
        finish), each claimed until ``until`` so no other process takes it meanwhile."""
        ...
