"""Paying later in a real browser at 360 by 640: the offer, a choice, the deposit's status."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.browser import chromium
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, StartShop

PHONE_SIZE = {"width": 360, "height": 640}


async def test_a_customer_pays_later_in_a_phones_browser(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE_SIZE, locale="en-US")
        page = await context.new_page()
        await page.goto(f"{shop.base}/pay/{ORDER}")
        await page.get_by_label("M-Pesa number").fill(HOLDS)
        await page.get_by_role("button", name="Pay later").click()
        plan = page.locator("#plan")
        await expect(plan).to_contain_text("KES 3,000 in parts")
        await expect(plan).to_contain_text("Today: KES 750 (deposit)")
        await expect(plan).to_contain_text("We remind you the day before each date")
        await page.get_by_role("button", name="Choose 2 installments").click()
        await expect(page.locator("#status")).to_contain_text("Check your phone")
        await shop.daraja.settle_phone(HOLDS_KEY, 0)
        await expect(page.locator("#status")).to_contain_text("Paid: KES 750", timeout=3000)
        await expect(page.locator("#pay-later")).to_have_count(0)

        # In Swahili, and without JavaScript: the same offer, in the chat's Swahili words.
        await shop.order(3000, reference="WW-7")
        still = await browser.new_context(
            viewport=PHONE_SIZE, locale="sw-KE", java_script_enabled=False
        )
        page = await still.new_page()
        await page.goto(f"{shop.base}/pay/WW-7")
        await page.get_by_label("Namba ya M-Pesa").fill("0712 345 678")
        await page.get_by_role("button", name="Lipa baadaye").click()
        await expect(page.locator("#plan")).to_contain_text("Lipa baadaye kwa oda WW-7")
        await expect(page.get_by_role("button", name="Chagua awamu 3")).to_be_visible()
        await still.close()
        await context.close()
