"""An order with a plan on its page: the schedule, and paying it with the plan desk's buttons."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

from checkout.bnpl.records import InstallmentStatus, Plan, PlanStatus
from checkout.bnpl.requests import AcceptPlan
from checkout.bnpl.rules import nairobi_date
from checkout.domain.records import Channel, PaymentStatus
from checkout.i18n import texts
from checkout.i18n.chat import plan_date
from lipa.app import utc_now
from tests.web.conftest import HOLDS, HOLDS_KEY, ORDER, StartShop, WebShop


async def _shop(start_shop: StartShop, sqlite_url: str) -> WebShop:
    shop = await start_shop(sqlite_url, bnpl_require_paid_history=False)
    await shop.order(3000)
    return shop


async def _press(
    shop: WebShop,
    action: str,
    plan_id: int | str,
    *,
    reference: str = ORDER,
    token: str | None = None,
) -> tuple[int, str, str]:
    """Press a plan button on ``reference``'s page (its form token unless ``token``)."""
    csrf = token if token is not None else await shop.form_token(reference)
    async with shop.http.post(
        f"{shop.base}/pay/{reference}/installment",
        data={"csrf": csrf, "lang": "en", "plan": str(plan_id), "action": action},
        allow_redirects=False,
    ) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def _plan(shop: WebShop, plan_id: int) -> Plan:
    async with shop.lipa.units() as unit:
        plan = await unit.plans.get(plan_id)
    assert plan is not None
    return plan


async def _miss_first_installment(shop: WebShop, plan: Plan) -> None:
    """Installment 1 as the collector leaves it after its date's tries: due, in its grace."""
    first = plan.installment(1)
    async with shop.lipa.units() as unit:
        await unit.plans.save_installment(
            replace(first, overdue_at=utc_now() + timedelta(days=3), next_attempt_at=None)
        )
        await unit.commit()


async def _pushed_after(shop: WebShop, before: int) -> list[tuple[int, str]]:
    """The prompts opened since ``before`` prompts: (amount, phone) each."""
    prompts = list(shop.daraja.prompts.values())[before:]
    return [(prompt.amount, prompt.phone) for prompt in prompts]


async def test_the_page_shows_the_plans_schedule_in_english_and_swahili(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    assert plan.status is PlanStatus.ACTIVE
    first = plan.installment(1)

    status, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert status == 200
    assert "Your plan" in html
    # The chat's own /plans line: paid, left and the next date.
    day = plan_date("en", first.due_at)
    line = texts.t(
        "en", "plans_active", order=ORDER, paid="750", left="2,250", amount="750", date=day
    )
    assert line in html
    assert "<td>Deposit</td>" in html
    for number in (1, 2, 3):
        assert f"<td>Installment {number}</td>" in html
    assert f"<td>{plan_date('en', first.due_at)}</td><td>KES 750</td><td>due</td>" in html
    assert "<td>KES 750</td><td>paid</td>" in html
    assert "Pay the next installment now (KES 750)" in html
    assert "Pay everything left now (KES 2,250)" in html
    # The plan's buttons instead of the free form: a payment typed there would be outside it.
    assert 'id="amount"' not in html
    assert 'id="pay-later"' not in html

    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=sw")
    assert "Mpango wako" in html
    assert "<td>Malipo ya awali</td>" in html
    assert "<td>Awamu ya 2</td>" in html
    assert f"<td>{plan_date('sw', first.due_at)}</td><td>KES 750</td><td>inadaiwa</td>" in html
    assert "<td>imelipwa</td>" in html
    assert "Lipa awamu inayofuata sasa (KES 750)" in html
    assert "Lipa kiasi chote kilichobaki sasa (KES 2,250)" in html


async def test_the_plan_page_weighs_under_30_kb_with_everything_it_loads(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    await shop.take_plan(count=4)
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=sw")
    total = len(html.encode())
    for asset in set(re.findall(r'(?:href|src)="(/web/static/[^"]+)"', html)) | {
        "/web/static/pay.js"
    }:
        async with shop.http.get(shop.base + asset) as response:
            total += len(await response.read())
    assert total < 30 * 1024, total


async def test_a_missed_installment_is_paid_with_pay_the_next_installment_now(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    await _miss_first_installment(shop, plan)
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert "<td>missed</td>" in html
    assert "you can pay it before" in html  # the chat's line for a missed installment
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=sw")
    assert "<td>imechelewa</td>" in html

    before = len(shop.daraja.prompts)
    status, _, location = await _press(shop, "next", plan.id)
    assert (status, location) == (303, f"/pay/{ORDER}?lang=en")
    assert await _pushed_after(shop, before) == [(750, HOLDS_KEY)]
    _, html, _ = await shop.get(location)
    assert texts.t("en", "push_sent", amount="750", order=ORDER, phone=HOLDS) in html
    assert 'id="plan-next"' not in html  # the page follows the push in flight

    payment = (await shop.payments())[-1]
    async with shop.lipa.units() as unit:
        link = await unit.plans.link_for(payment.id)
    assert link is not None
    assert (link.plan_id, link.first, link.last) == (plan.id, 1, 1)
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    assert (await shop.settled(payment.id)).status is PaymentStatus.PAID
    paid = await _plan(shop, plan.id)
    assert paid.installment(1).status is InstallmentStatus.PAID
    assert [item.status for item in paid.installments[2:]] == [InstallmentStatus.DUE] * 2
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert "Paid: KES 750" in html
    assert "Pay everything left now (KES 1,500)" in html


async def test_pay_everything_left_pushes_the_plans_whole_rest_then_the_order_is_paid(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    before = len(shop.daraja.prompts)
    status, _, _ = await _press(shop, "all", plan.id)
    assert status == 303
    assert await _pushed_after(shop, before) == [(2250, HOLDS_KEY)]
    payment = (await shop.payments())[-1]
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await shop.settled(payment.id)
    assert (await _plan(shop, plan.id)).status is PlanStatus.COMPLETED
    # A completed plan: the page as before (here the plain "paid" page).
    status, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert status == 200
    assert "Order paid" in html
    assert "Your plan" not in html


async def test_a_plan_waiting_for_its_deposit_shows_the_deposit_button(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan(deposit_result=1032)  # the customer cancelled the prompt
    assert plan.status is PlanStatus.PENDING_DEPOSIT
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert texts.t("en", "plans_pending", order=ORDER, amount=750) in html
    assert "<td>KES 750</td><td>awaited</td>" in html
    assert "Pay the deposit (KES 750)" in html
    assert 'id="plan-next"' not in html
    assert 'id="amount"' in html  # paying the order otherwise is still open (it ends the plan)

    before = len(shop.daraja.prompts)
    status, _, location = await _press(shop, "deposit", plan.id)
    assert (status, location) == (303, f"/pay/{ORDER}?lang=en")
    assert await _pushed_after(shop, before) == [(750, HOLDS_KEY)]
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await shop.settled((await shop.payments())[-1].id)
    assert (await _plan(shop, plan.id)).status is PlanStatus.ACTIVE


async def test_a_cancelled_plan_leaves_the_page_as_before(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan(deposit_result=1032)
    async with shop.lipa.units() as unit:
        await unit.plans.set_status(plan.id, PlanStatus.CANCELLED, now=utc_now())
        await unit.commit()
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert "Your plan" not in html
    assert 'id="amount"' in html
    before = len(shop.daraja.prompts)
    status, _, _ = await _press(shop, "deposit", plan.id)
    assert status == 403
    assert len(shop.daraja.prompts) == before


async def test_a_plan_taken_in_a_chat_is_paid_from_the_page_for_its_own_customer(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    now = utc_now()
    async with shop.lipa.units() as unit:
        customer = await unit.customers.get_or_create(
            Channel.TELEGRAM, "555000111", language="en", now=now
        )
        await unit.commit()
    accept = AcceptPlan(ORDER, True, None, "254700000006", 2, 3000, nairobi_date(now))
    await shop.lipa.plans.accept(customer, "en", accept)
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await shop.settled((await shop.payments())[-1].id)
    async with shop.lipa.units() as unit:
        plan = await unit.plans.open_for_order(ORDER)
    assert plan is not None
    assert plan.channel is Channel.TELEGRAM

    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert "Pay the next installment now (KES 1,125)" in html
    before = len(shop.daraja.prompts)
    status, _, _ = await _press(shop, "next", plan.id)
    assert status == 303
    assert await _pushed_after(shop, before) == [(1125, HOLDS_KEY)]
    payment = (await shop.payments())[-1]
    # Made for the plan's own customer, as the chat's button would.
    assert (payment.customer_id, payment.channel) == (customer.id, Channel.TELEGRAM)


async def test_bad_presses_change_nothing(start_shop: StartShop, sqlite_url: str) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    # Another order with its own plan (taken in a chat): never paid from this order's page.
    await shop.order(3000, reference="WW-7")
    now = utc_now()
    async with shop.lipa.units() as unit:
        other_customer = await unit.customers.get_or_create(
            Channel.TELEGRAM, "555000222", language="en", now=now
        )
        await unit.commit()
    accept = AcceptPlan("WW-7", True, None, "254700000006", 2, 3000, nairobi_date(now))
    await shop.lipa.plans.accept(other_customer, "en", accept)
    await shop.daraja.settle_phone(HOLDS_KEY, 0)
    await shop.settled((await shop.payments("WW-7"))[-1].id)
    async with shop.lipa.units() as unit:
        other = await unit.plans.open_for_order("WW-7")
    assert other is not None
    assert other.status is PlanStatus.ACTIVE

    before = len(shop.daraja.prompts)
    presses = [
        _press(shop, "next", plan.id, token="0" * 40),  # a tampered token
        _press(shop, "next", plan.id, token=""),
        _press(shop, "drop", plan.id),  # actions the page does not offer
        _press(shop, "move", plan.id),
        _press(shop, "deposit", plan.id),  # the deposit is paid
        _press(shop, "nonsense", plan.id),
        _press(shop, "next", other.id),  # the other order's plan, from this order's page
        _press(shop, "all", "x"),
        _press(shop, "next", plan.id, reference="WW-7"),  # this plan on the other's page
    ]
    for press in presses:
        status, html, _ = await press
        assert status == 403, html
        assert "Nothing was paid" in html
    # Another order's page token does not open this one's.
    other_token = await shop.form_token("WW-7")
    status, _, _ = await _press(shop, "next", plan.id, token=other_token)
    assert status == 403
    assert len(shop.daraja.prompts) == before
    assert await _plan(shop, plan.id) == plan
    assert await _plan(shop, other.id) == other


async def test_a_double_press_sends_one_push(start_shop: StartShop, sqlite_url: str) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    token = await shop.form_token()
    before = len(shop.daraja.prompts)
    answers = await asyncio.gather(
        _press(shop, "next", plan.id, token=token), _press(shop, "all", plan.id, token=token)
    )
    assert [status for status, _, _ in answers] == [303, 303]
    assert len(await _pushed_after(shop, before)) == 1
    # Pressed again from a page left open: the push in flight is shown, no second one.
    status, _, _ = await _press(shop, "next", plan.id, token=token)
    assert status == 303
    assert len(shop.daraja.prompts) == before + 1
    pending = [p for p in await shop.payments() if p.status is PaymentStatus.PENDING]
    assert len(pending) == 1


async def test_cancelled_installment_prompts_leave_the_plans_buttons(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await _shop(start_shop, sqlite_url)
    plan = await shop.take_plan()
    for _ in range(2):  # two cancelled prompts in a row pause the free form, not the plan
        status, _, _ = await _press(shop, "next", plan.id)
        assert status == 303
        await shop.daraja.settle_phone(HOLDS_KEY, 1032)
        await shop.settled((await shop.payments())[-1].id)
    _, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    assert 'class="status failed"' in html
    assert 'id="plan-next"' in html
    assert 'id="other-way"' not in html
    before = len(shop.daraja.prompts)
    status, _, _ = await _press(shop, "next", plan.id)
    assert status == 303
    assert await _pushed_after(shop, before) == [(750, HOLDS_KEY)]
