"""Screenshots of the payment link page (English and Swahili) and of a receipt, for the README.

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

from checkout.outbox.delivery import DeliveryPolicy
from checkout.platform.orders import OrderRequest
from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from tests.web.browser import chromium
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, WebShop, web_settings


async def take(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        service = Service(
            web_settings(f"sqlite+aiosqlite:///{Path(scratch) / 'lipa.db'}"),
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
        finally:
            await service.stop()
        converter = shutil.which("pdftoppm")
        if converter is None:
            print("pdftoppm not found (apt-get install poppler-utils): no receipt PNG")
            return
        process = await asyncio.create_subprocess_exec(
            converter, "-png", "-r", "60", "-singlefile", str(pdf), str(folder / "receipt")
        )
        if await process.wait() != 0:
            raise SystemExit("pdftoppm could not convert the receipt")


if __name__ == "__main__":
    asyncio.run(take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
