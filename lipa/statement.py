"""The shortcode's statement from Daraja's Pull Transactions, for the till's statement check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from checkout.till.records import TillPayment
from checkout.till.statement import StatementCheck
from daraja import PullEntry
from webhook.till import statement_payment

if TYPE_CHECKING:
    from lipa.app import Lipa


class PullClient(Protocol):
    """The one Daraja call the statement needs (``DarajaClient.pull_transactions``)."""

    async def pull_transactions(
        self, *, start: datetime, end: datetime, shortcode: str | None = None
    ) -> list[PullEntry]:
        """Every transaction of the shortcode in the window, all pages."""
        ...


class DarajaStatement:
    """Implements ``checkout.till.statement.Statement`` with Pull Transactions."""

    def __init__(self, client: PullClient, shortcode: str) -> None:
        self._client = client
        self._shortcode = shortcode

    async def transactions(self, start: datetime, end: datetime) -> Sequence[TillPayment]:
        """The statement's lines between ``start`` and ``end``, as the till reads them."""
        entries = await self._client.pull_transactions(
            start=start, end=end, shortcode=self._shortcode
        )
        return [statement_payment(entry, self._shortcode) for entry in entries]


def statement_check(lipa: Lipa) -> StatementCheck:
    """The statement check of this process, on its Daraja client and shortcode."""
    settings = lipa.settings
    return StatementCheck(
        lipa.till,
        DarajaStatement(lipa.daraja, settings.mpesa_business_shortcode),
        clock=lipa.till.clock,
        interval_seconds=settings.mpesa_pull_interval_seconds,
    )
