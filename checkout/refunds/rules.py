"""The rules a refund request must keep: its age, the daily limit, who may approve."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RefundRules:
    """From the ``REFUND_*`` settings.

    ``approvers`` empty: any staff user but the requester may approve. ``owners`` may approve
    past ``daily_limit`` (and may always approve, named in ``approvers`` or not).
    """

    max_age: timedelta = timedelta(days=30)
    daily_limit: int = 50_000
    approvers: frozenset[int] = field(default_factory=frozenset)
    owners: frozenset[int] = field(default_factory=frozenset)
    expiry: timedelta = timedelta(hours=24)

    @classmethod
    def of(
        cls,
        *,
        max_age_days: int = 30,
        daily_limit: int = 50_000,
        approvers: Collection[int] = (),
        owners: Collection[int] = (),
    ) -> RefundRules:
        """Rules from the settings' plain values."""
        return cls(
            max_age=timedelta(days=max_age_days),
            daily_limit=daily_limit,
            approvers=frozenset(approvers),
            owners=frozenset(owners),
        )

    def may_approve(self, user_id: int) -> bool:
        """Whether this staff user may approve refunds at all."""
        return not self.approvers or user_id in self.approvers or user_id in self.owners


def staff_actor(user_id: int) -> str:
    """How a Telegram staff user is recorded as a requester or approver."""
    return f"telegram:{user_id}"


API_ACTOR = "api"
