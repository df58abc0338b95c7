"""Screenshots of the payment link page (English and Swahili), of "Pay later"'s offer and of
an order's page with its plan (both languages each) and of receipts (a payment's, and a plan
deposit's with its schedule), for the README.

    python -m tests.web.screenshots docs

Runs the service on a throwaway SQLite file with the simulated Daraja, pays part of an order
in Chromium at 360 by 640, and saves small PNGs. The receipt's PNG needs ``pdftoppm``
(Debian's poppler-utils).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import aiohttp
from playwright.async_api import Page

from checkout.outbox.delivery import DeliveryPolicy
from checkout.platform.orders import OrderRequest
from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from tests.web.browser import chromium
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, WebShop, web_settings


async def take(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        service = Service(
            # Plans for any customer, so "Pay later" shows on a fresh database.
            web_settings(
                f"sqlite+aiosqlite:///{Path(scratch) / 'lipa.db'}",
                bnpl_require_paid_history=False,
            ),
            simulator_settings=SimulatorSettings(callback_delay=0.2, seed=7),
            delivery=DeliveryPolicy(first_backoff_seconds=0.05, idle_poll_seconds=0.5),
        )
        await service.start()
        try:
            async with aiohttp.ClientSession() as http:
                shop = WebShop(service, http)
                await shop.lipa.orders.open(
                    OrderRequest(amount=3000, reference=ORDER, description="Laundry, 6 kg")
                )
                async with chromium() as browser:
                    context = await browser.new_context(
                        viewport={"width": 360, "height": 640}, accept_downloads=True
                    )
                    page = await context.new_page()
                    await page.goto(f"{shop.base}/pay/{ORDER}?lang=en")
                    await page.get_by_label("Amount (KES)").fill("1000")
                    await page.get_by_label("M-Pesa number").fill(HOLDS)
                    await page.screenshot(path=str(folder / "web-page-en.png"))
                    await page.get_by_role("button", name="Pay with M-Pesa").click()
                    await page.locator("#status.pending").wait_for()
                    await shop.daraja.settle_phone(HOLDS_KEY, 0)
                    await page.locator("#receipt").wait_for()
                    await page.goto(f"{shop.base}/pay/{ORDER}?lang=sw")
                    await page.screenshot(path=str(folder / "web-page-sw.png"))
                    async with page.expect_download() as waiting:
                        await page.goto(f"{shop.base}/pay/{ORDER}?lang=en")
                        await page.locator("#receipt").click()
                    download = await waiting.value
                    pdf = Path(scratch) / "receipt.pdf"
                    await download.save_as(pdf)
                    plan_pdf = await pay_later(shop, page, folder, Path(scratch))
        finally:
            await service.stop()
        await png(pdf, folder / "receipt")
        await png(plan_pdf, folder / "receipt-plan")


async def pay_later(shop: WebShop, page: Page, folder: Path, scratch: Path) -> Path:
    """Pay later on a second order: the offer in both languages, then a plan's receipt."""
    await shop.lipa.orders.open(
        OrderRequest(amount=3000, reference="WW-1043", description="Duvets, 2")
    )
    for language, label in (("sw", "Namba ya M-Pesa"), ("en", "M-Pesa number")):
        await page.goto(f"{shop.base}/pay/WW-1043?lang={language}")
        await page.get_by_label(label).fill(HOLDS)
        await page.locator("#pay-later").click()
        await page.locator("#plan").wait_for()
        await page.screenshot(path=str(folder / f"web-plan-{language}.png"), full_page=True)
    await page.get_by_role("button", name="Choose 3 installments").click()
    await page.locator("#status.pending").wait_for()
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await page.locator("#receipt").wait_for()
    async with page.expect_download() as waiting:
        await page.locator("#receipt").click()
    pdf = scratch / "receipt-plan.pdf"
    await (await waiting.value).save_as(pdf)
    # The order's page with its plan: the schedule and the plan's own buttons.
    for language in ("en", "sw"):
        await page.goto(f"{shop.base}/pay/WW-1043?lang={language}")
        await page.locator("#my-plan").wait_for()
        await page.screenshot(path=str(folder / f"web-plan-page-{language}.png"), full_page=True)
    return pdf


async def png(pdf: Path, stem: Path) -> None:
    """The PDF's page as ``<stem>.png`` (needs pdftoppm)."""
    converter = shutil.which("pdftoppm")
    if converter is None:
        print("pdftoppm not found (apt-get install poppler-utils): no receipt PNG")
        return
    process = await asyncio.create_subprocess_exec(
        converter, "-png", "-r", "60", "-singlefile", str(pdf), str(stem)
    )
    if await process.wait() != 0:
        raise SystemExit("pdftoppm could not convert the receipt")


if __name__ == "__main__":
    asyncio.run(take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
