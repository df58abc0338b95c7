"""The payment page of a cancelled order says so, in English and Swahili, and pays nothing."""

from __future__ import annotations

from checkout.i18n.payments.order_closed import order_cancelled
from tests.web.conftest import HOLDS, ORDER, WebShop


async def test_the_page_of_a_cancelled_order_says_it_was_cancelled_and_has_no_form(
    shop: WebShop,
) -> None:
    token = await shop.form_token()  # a page opened before the platform cancelled
    await shop.lipa.orders.desk.cancel(ORDER)
    for language in ("en", "sw"):
        status, html, _ = await shop.get(f"/pay/{ORDER}?lang={language}")
        assert status == 200
        assert order_cancelled(language, ORDER) in html
        assert 'name="csrf"' not in html
    fields = {"csrf": token, "lang": "en", "amount": "3000", "phone": HOLDS}
    status, html, _ = await shop.post(fields)
    assert status == 200
    assert order_cancelled("en", ORDER) in html
    assert await shop.payments() == []
