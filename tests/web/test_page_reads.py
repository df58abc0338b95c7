"""The page's two ways to read its order on SQLite (WEB_PAGE_READS): the same page either way.

``inline`` reads in the event loop's thread through SQLAlchemy's sqlite3 engine (read-only);
``pool`` through the units of work, as PostgreSQL always does. The rest of tests/web runs on
the default (inline) on SQLite and on the pool on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checkout.domain.records import Payment
from checkout.platform.ports import OrderSnapshot
from storage.database import create_engine, session_factory
from storage.inline_reads import InlineOrderReads, InlineReceiptTokens
from storage.repositories.receipts import SqlReceiptTokens
from tests.web.conftest import HOLDS, ORDER, StartShop, WebShop

_TOKEN = re.compile(r'name="csrf" value="[^"]+"')


def _without_token(html: str) -> str:
    return _TOKEN.sub("", html)


async def _no_pool(reference: str, *, with_plan: bool) -> OrderSnapshot | None:
    raise AssertionError("the inline read fell back to the pool")


async def _a_paid_payment(shop: WebShop) -> Payment:
    """KES 1,000 of a KES 3,000 order paid through the page, settled; the shop keeps running."""
    await shop.order(3000)
    token = await shop.form_token()
    await shop.post({"csrf": token, "amount": "1000", "phone": HOLDS})
    [payment] = await shop.payments()
    await shop.daraja.settle_phone("254700000006", 0)
    await shop.settled(payment.id)
    return payment


async def test_a_page_reads_the_same_inline_and_through_the_pool(
    start_shop: StartShop, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    inline = await start_shop(url, web_page_reads="inline", bnpl_enabled=True)
    await inline.order(3000)
    token = await inline.form_token()
    status, _, _ = await inline.post({"csrf": token, "amount": "1000", "phone": HOLDS})
    assert status == 303
    [payment] = await inline.payments()
    await inline.daraja.settle_phone("254700000006", 0)
    await inline.settled(payment.id)
    pages = {}
    for path in (f"/pay/{ORDER}", f"/pay/{ORDER}?lang=sw", f"/pay/{ORDER}/status", "/pay/WW-9"):
        pages[path] = await inline.get(path)
    await inline.service.stop()

    pool = await start_shop(url, web_page_reads="pool", bnpl_enabled=True)
    for path, (status, body, _) in pages.items():
        again, body_again, _ = await pool.get(path)
        assert again == status, path
        assert _without_token(body_again) == _without_token(body), path
    assert "Paid" in pages[f"/pay/{ORDER}"][1]


async def test_an_inline_read_sees_the_service_s_commits_without_the_pool(
    start_shop: StartShop, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    payment = await _a_paid_payment(await start_shop(url))

    # The service is still running and writing: its commits are what the read sees.
    reads = InlineOrderReads(url, _no_pool)
    try:
        found = await reads(ORDER, with_plan=True)
        missing = await reads("WW-9", with_plan=True)
    finally:
        reads.dispose()
    assert found is not None
    assert missing is None
    order, payments, plan = found
    assert (order.reference, order.balance) == (ORDER, 2000)
    assert [(p.id, p.amount, p.status.value) for p in payments] == [(payment.id, 1000, "paid")]
    assert plan is None


async def test_an_inline_read_sqlite_refuses_is_read_through_the_pool(tmp_path: Path) -> None:
    asked: list[tuple[str, bool]] = []

    async def pool(reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        asked.append((reference, with_plan))
        return None

    # No such file: SQLite refuses to open it read-only, and the pool is asked instead.
    reads = InlineOrderReads(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}", pool)
    try:
        assert await reads(ORDER, with_plan=True) is None
    finally:
        reads.dispose()
    assert asked == [(ORDER, True)]


def test_inline_reads_need_a_file() -> None:
    async def pool(reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        return None

    with pytest.raises(ValueError, match="SQLite file"):
        InlineOrderReads("sqlite+aiosqlite:///:memory:", pool)


class _RecordingTokens:
    """The pool's receipt tokens as a page falls back to them, recording what was asked."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self._inner = SqlReceiptTokens(session_factory(self.engine))
        self.asked: list[tuple[str, object]] = []

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str:
        self.asked.append(("token_for", payment_id))
        return await self._inner.token_for(payment_id, offered, now=now)

    async def payment_for(self, token: str) -> int | None:
        self.asked.append(("payment_for", token))
        return await self._inner.payment_for(token)


async def test_a_page_s_receipt_token_is_made_once_through_the_pool_then_read_inline(
    start_shop: StartShop, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    payment = await _a_paid_payment(await start_shop(url))

    reads = InlineOrderReads(url, _no_pool)
    fallback = _RecordingTokens(url)
    tokens = InlineReceiptTokens(reads, fallback)
    now = datetime.now(UTC)
    try:
        made = await tokens.token_for(payment.id, "f" * 32, now=now)  # a web payment: none yet
        again = await tokens.token_for(payment.id, "e" * 32, now=now)
        opened = await tokens.payment_for(made)
    finally:
        reads.dispose()
        await fallback.engine.dispose()
    assert made == again == "f" * 32
    assert opened == payment.id
    assert fallback.asked == [("token_for", payment.id), ("payment_for", made)]
