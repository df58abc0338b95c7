"""How the payment page reads its order: in the event loop's thread on SQLite, else the pool.

See :mod:`storage.inline_reads` for why, and ``docs/BENCHMARKS.md`` ("The payment link page")
for what it buys; ``WEB_PAGE_READS=pool`` reads through the units of work instead.
"""

from __future__ import annotations

import contextlib

from checkout.payments.unit import UnitOfWorkFactory
from checkout.platform.ports import OrderReads
from lipa.settings import Settings
from storage.database import is_sqlite
from storage.inline_reads import InlineOrderReads, InlineReceiptTokens
from web.payment_page import PoolOrderReads
from web.ports import ReceiptTokens


def order_reads(
    settings: Settings, units: UnitOfWorkFactory, stack: contextlib.AsyncExitStack
) -> OrderReads:
    """The page's reads; an inline reader's connection is closed with ``stack``."""
    pool = PoolOrderReads(units)
    if settings.web_page_reads != "inline" or not is_sqlite(settings.database_url):
        return pool
    inline = InlineOrderReads(settings.database_url, pool)
    stack.callback(inline.dispose)
    return inline


def page_receipts(reads: OrderReads, receipts: ReceiptTokens) -> ReceiptTokens:
    """The page's receipt tokens: read in the loop's thread beside the order's own reads
    when those are (a token is made at settlement; its page only reads it), else ``receipts``."""
    if isinstance(reads, InlineOrderReads):
        return InlineReceiptTokens(reads, receipts)
    return receipts
