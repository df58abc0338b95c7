"""Pay later on the payment link page: the chat's offer and plan desk, for the typed phone."""

from __future__ import annotations

import asyncio
import io
import re

from pypdf import PdfReader

from checkout.domain.records import PaymentStatus
from checkout.i18n import texts
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, StartShop, WebShop

_RECEIPT = re.compile(r'href="(/receipts/[0-9a-f]{32})\?lang=en"')
_CHOICE = re.compile(r'name="choice" value="([^"]+)"')


async def _plans(shop: WebShop) -> list[object]:
    async with shop.lipa.units() as unit:
        plan = await unit.plans.open_for_order(ORDER)
    return [] if plan is None else [plan]


async def test_pay_later_shows_the_chats_offer_then_pushes_the_deposit(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert 'id="pay-later"' in html
    assert 'formaction="/pay/WW-1042/later"' in html

    status, offer = await shop.later(HOLDS)
    assert status == 200
    # The chat's own offer: every option with its deposit, dates, amounts, total and terms.
    assert "Pay later for order WW-1042: KES 3,000 in parts" in offer
    assert "Today: KES 750 (deposit)" in offer
    assert "Total: KES 3,000" in offer
    assert "There is no late fee." in offer
    choices = _CHOICE.findall(offer)
    assert [choice.split(":")[1] for choice in choices] == ["2", "3", "4"]
    assert "Choose 3 installments" in offer

    status, _, location = await shop.choose(choices[1])
    assert (status, location) == (303, f"/pay/{ORDER}?lang=en")
    [deposit] = await shop.payments()
    assert (deposit.amount, deposit.status) == (750, PaymentStatus.PENDING)
    _, html, _ = await shop.get(location)
    pending = texts.t("en", "push_sent", amount="750", order=ORDER, phone=HOLDS)
    assert pending in html  # the same status page as any payment

    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    for _ in range(100):  # the simulated callback arrives after its delay
        [deposit] = await shop.payments()
        if deposit.status is PaymentStatus.PAID:
            break
        await asyncio.sleep(0.05)
    assert deposit.status is PaymentStatus.PAID
    [plan] = await _plans(shop)
    assert plan.status.value == "active"  # type: ignore[attr-defined]
    # The order has its plan now: no second "Pay later" on its page.
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert 'id="pay-later"' not in html
    # The deposit's receipt shows the plan's schedule: what is paid, what is due and when.
    link = _RECEIPT.search(html)
    assert link is not None
    async with shop.http.get(shop.base + link.group(1)) as response:
        pdf = PdfReader(io.BytesIO(await response.read())).pages[0].extract_text()
    assert "Payment plan #" in pdf
    assert "Deposit" in pdf
    assert "KES 750" in pdf
    assert "paid" in pdf
    assert "Installment 1" in pdf
    assert "Installment 3" in pdf
    assert "due" in pdf
    assert "Still to pay on the plan: KES 2,250" in pdf
    async with shop.http.get(shop.base + link.group(1) + "?lang=sw") as response:
        pdf = PdfReader(io.BytesIO(await response.read())).pages[0].extract_text()
    assert "Mpango wa malipo" in pdf
    assert "Awamu ya 1" in pdf


async def test_a_customer_who_may_not_have_a_plan_is_told_why_and_offered_nothing(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url)  # plans need a paid payment first (the default)
    await shop.order(3000)
    status, html = await shop.later("0712 345 678", lang="sw")
    assert status == 200
    assert "waliokwisha kutulipa kwa M-Pesa" in html
    assert not _CHOICE.findall(html)
    assert await shop.payments() == []


async def test_a_bad_phone_gets_the_chats_message_and_no_offer(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    status, html = await shop.later("0712 34")
    assert status == 422
    assert texts.t("en", "phone_invalid") in html
    assert not _CHOICE.findall(html)


async def test_no_pay_later_for_a_small_order_or_with_plans_off(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(400)
    _, html, _ = await shop.get(f"/pay/{ORDER}")
    assert 'id="pay-later"' not in html
    off = await start_shop(sqlite_url.replace("lipa.db", "off.db"), bnpl_enabled=False)
    await off.order(3000)
    _, html, _ = await off.get(f"/pay/{ORDER}")
    assert 'id="pay-later"' not in html


async def test_a_tampered_or_foreign_choice_changes_nothing(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    await shop.order(3000, reference="WW-7")
    _, offer = await shop.later(HOLDS)
    choice = _CHOICE.findall(offer)[0]
    for bad in (choice.replace(ORDER, "WW-7"), choice.replace(":3000:", ":30:"), "plan:x"):
        status, _, _ = await shop.choose(bad)
        assert status in (200, 403)
    assert await shop.payments() == []
    assert await _plans(shop) == []


async def test_a_double_press_on_an_option_sends_one_deposit_push(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    _, offer = await shop.later(HOLDS)
    choice = _CHOICE.findall(offer)[0]
    answers = await asyncio.gather(shop.choose(choice), shop.choose(choice))
    assert sorted(status for status, _, _ in answers)[-1] in (200, 303)
    [deposit] = await shop.payments()
    assert deposit.amount == 750
    assert len(shop.daraja.prompts) == 1
