"""Paying a plan's next installment from the order's page in a real browser at 360 by 640."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.web.browser import chromium
from tests.web.conftest import HOLDS_KEY, ORDER, StartShop

PHONE_SIZE = {"width": 360, "height": 640}


async def test_a_plan_customer_pays_the_next_installment_in_a_phones_browser(
    start_shop: StartShop, sqlite_url: str, tmp_path: Path
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    await shop.take_plan()
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE_SIZE, locale="en-US")
        page = await context.new_page()
        await page.goto(f"{shop.base}/pay/{ORDER}")
        plan = page.locator("#my-plan")
        await expect(plan).to_contain_text("Your plan")
        await expect(plan).to_contain_text("KES 750 paid, KES 2,250 left")
        await expect(plan.locator("tr")).to_have_count(4)
        await expect(page.get_by_label("Amount (KES)")).to_have_count(0)
        # Nothing is wider than the phone's screen.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_SIZE["width"]
        await page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
        await page.get_by_role("button", name="Pay the next installment now (KES 750)").click()
        await expect(page.locator("#status")).to_contain_text("Check your phone")
        await shop.daraja.settle_phone(HOLDS_KEY, 0)
        await expect(page.locator("#status")).to_contain_text("Paid: KES 750", timeout=3000)
        await expect(plan).to_contain_text("KES 1,500 paid, KES 1,500 left")
        await expect(
            page.get_by_role("button", name="Pay everything left now (KES 1,500)")
        ).to_be_visible()
        await context.close()
