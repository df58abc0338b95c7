"""The payment link page in a real browser at a small phone's 360 by 640, with and without JS."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from playwright.async_api import Page, expect
from pypdf import PdfReader

from checkout.domain.records import PaymentStatus
from tests.web.browser import chromium
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, StartShop, WebShop

PHONE_SIZE = {"width": 360, "height": 640}


async def _paid_receipt(shop: WebShop, amount: int) -> str:
    payments = [p for p in await shop.payments() if p.amount == amount]
    assert payments[-1].status is PaymentStatus.PAID
    receipt = payments[-1].receipt_number
    assert receipt is not None
    return receipt


async def _settle_and_time(shop: WebShop, page: Page, expected: str, timeout_ms: int) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await expect(page.locator("#status")).to_contain_text(expected, timeout=timeout_ms)
    return loop.time() - started


async def _receipt_text(page: Page, tmp_path: Path, name: str) -> str:
    async with page.expect_download() as waiting:
        await page.locator("#receipt").click()
    download = await waiting.value
    saved = tmp_path / name
    await download.save_as(saved)
    return PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text()


async def test_a_customer_pays_a_part_in_a_phones_browser_and_keeps_the_receipt(
    start_shop: StartShop, sqlite_url: str, tmp_path: Path
) -> None:
    shop = await start_shop(sqlite_url)
    await shop.order(3000)
    async with chromium() as browser:
        context = await browser.new_context(
            viewport=PHONE_SIZE, locale="en-US", accept_downloads=True
        )
        page = await context.new_page()
        await page.goto(f"{shop.base}/pay/{ORDER}")
        await expect(page.get_by_role("heading", name=f"Pay order {ORDER}")).to_be_visible()
        await page.get_by_label("Amount (KES)").fill("1000")
        await page.get_by_label("M-Pesa number").fill(HOLDS)
        await page.get_by_role("button", name="Pay with M-Pesa").click()
        await expect(page.locator("#status")).to_contain_text("Check your phone")

        waited = await _settle_and_time(shop, page, "Paid: KES 1,000", 1000)
        assert waited < 1.0
        receipt = await _paid_receipt(shop, 1000)
        await expect(page.locator("#status")).to_contain_text(f"M-Pesa receipt {receipt}")
        text = await _receipt_text(page, tmp_path, "receipt.pdf")
        assert receipt in text

        await page.get_by_role("link", name="Kiswahili").click()
        await expect(page.locator("#status")).to_contain_text("Imelipwa: KES 1,000")
        await expect(page.get_by_role("button", name="Lipa kwa M-Pesa")).to_be_visible()
        swahili = await _receipt_text(page, tmp_path, "risiti.pdf")
        assert "Risiti ya M-Pesa" in swahili
        assert receipt in swahili
        await context.close()


async def test_without_javascript_the_status_page_refreshes_itself_to_the_outcome(
    start_shop: StartShop, sqlite_url: str, tmp_path: Path
) -> None:
    shop = await start_shop(sqlite_url)
    await shop.order(3000)
    async with chromium() as browser:
        context = await browser.new_context(
            viewport=PHONE_SIZE, locale="sw-KE", java_script_enabled=False, accept_downloads=True
        )
        page = await context.new_page()
        await page.goto(f"{shop.base}/pay/{ORDER}")
        await expect(page.get_by_role("button", name="Lipa kwa M-Pesa")).to_be_visible()
        await page.get_by_label("Kiasi (KES)").fill("500")
        await page.get_by_label("Namba ya M-Pesa").fill(HOLDS)
        await page.get_by_role("button", name="Lipa kwa M-Pesa").click()
        await expect(page.locator("#status")).to_contain_text("Angalia simu yako")

        # The page refreshes every 3 s: the outcome shows by the next refresh.
        waited = await _settle_and_time(shop, page, "Imelipwa: KES 500", 4000)
        assert waited < 4.0
        receipt = await _paid_receipt(shop, 500)
        text = await _receipt_text(page, tmp_path, "risiti.pdf")
        assert receipt in text
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("#status")).to_contain_text("Paid: KES 500")
        await context.close()
