"""The payment link page over HTTP: paying through the chat's service, live status, receipts."""

from __future__ import annotations

import asyncio
import io
import json
import re

from pypdf import PdfReader

from checkout.domain.records import Channel, PaymentStatus
from checkout.i18n import texts
from tests.web.conftest import DESCRIPTION, HOLDS, HOLDS_KEY, ORDER, StartShop, WebShop

_RECEIPT_LINK = re.compile(r'href="(/receipts/[0-9a-f]{32})\?lang=(en|sw)"')


async def test_the_page_shows_the_order_and_a_form_in_the_language_the_browser_asks_for(
    shop: WebShop,
) -> None:
    status, html, response = await shop.get(
        f"/pay/{ORDER}", headers={"Accept-Language": "sw-KE,sw;q=0.9,en;q=0.5"}
    )
    assert status == 200
    assert '<html lang="sw">' in html
    assert "Wildwash" in html
    assert ORDER in html
    assert DESCRIPTION in html
    assert "KES 3,000" in html
    assert "Lipa kwa M-Pesa" in html
    assert 'name="csrf"' in html
    assert "Set-Cookie" not in response.headers  # nothing chosen on the page: no cookie


async def test_a_lower_case_link_opens_the_same_order(shop: WebShop) -> None:
    status, html, _ = await shop.get(f"/pay/{ORDER.lower()}")
    assert status == 200
    assert "KES 3,000" in html


async def test_choosing_a_language_on_the_page_is_the_one_cookie_it_sets(shop: WebShop) -> None:
    status, html, response = await shop.get(f"/pay/{ORDER}?lang=sw")
    assert status == 200
    assert "Lipa kwa M-Pesa" in html
    cookies = response.headers.getall("Set-Cookie")
    assert len(cookies) == 1
    assert cookies[0].startswith("lang=sw;")
    # The cookie now outranks what the browser asks for.
    status, html, _ = await shop.get(f"/pay/{ORDER}", headers={"Accept-Language": "en"})
    assert "Lipa kwa M-Pesa" in html


async def test_paying_a_part_sends_one_push_and_the_page_follows_it_to_paid_with_a_receipt(
    shop: WebShop,
) -> None:
    token = await shop.form_token()
    status, _, response = await shop.post(
        {"csrf": token, "lang": "en", "amount": "1,000", "phone": HOLDS}
    )
    assert status == 303
    assert response.headers["Location"] == f"/pay/{ORDER}?lang=en"

    status, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    pending = texts.t("en", "push_sent", amount="1,000", order=ORDER, phone=HOLDS)
    assert pending in html
    assert '<meta http-equiv="refresh" content="3">' in html  # without JavaScript
    assert shop.daraja.open_prompts() == [next(iter(shop.daraja.prompts))]
    [payment] = await shop.payments()
    assert payment.channel is Channel.WEB
    assert payment.amount == 1000

    async with shop.http.get(f"{shop.base}/pay/{ORDER}/events?lang=en") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = json.loads((await stream.content.readline()).decode().removeprefix("data: "))
        assert first["state"] == "pending"
        settled_at = asyncio.get_running_loop().time()
        await shop.daraja.settle_phone(HOLDS_KEY, 0)
        news = None
        async for line in stream.content:
            if line.startswith(b"data: "):
                news = json.loads(line.decode().removeprefix("data: "))
                break
        waited = asyncio.get_running_loop().time() - settled_at
    assert news is not None
    assert news["state"] == "paid"
    assert news["final"] is True
    assert waited < 1.0
    [payment] = await shop.payments()
    assert payment.status is PaymentStatus.PAID
    assert f"M-Pesa receipt {payment.receipt_number}" in news["text"]
    assert "Balance left: KES 2,000" in news["text"]

    polled = await shop.http.get(f"{shop.base}/pay/{ORDER}/status")
    assert (await polled.json())["state"] == "paid"

    status, html, _ = await shop.get(f"/pay/{ORDER}?lang=en")
    link = _RECEIPT_LINK.search(html)
    assert link is not None
    assert "KES 2,000" in html
    assert "refresh" not in html
    async with shop.http.get(shop.base + link.group(0)[6:-1]) as pdf:
        assert pdf.status == 200
        assert pdf.headers["Content-Type"] == "application/pdf"
        body = await pdf.read()
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert payment.receipt_number is not None
    assert payment.receipt_number in text
    assert "Wildwash" in text
    assert ORDER in text
    assert "KES 1,000" in text
    assert "2547****0006" in text
    assert HOLDS_KEY not in text


async def test_a_double_press_sends_one_push(shop: WebShop) -> None:
    token = await shop.form_token()
    fields = {"csrf": token, "lang": "en", "amount": "500", "phone": HOLDS}
    answers = await asyncio.gather(shop.post(fields), shop.post(fields), shop.post(fields))
    assert [status for status, _, _ in answers] == [303, 303, 303]
    assert len(shop.daraja.prompts) == 1
    assert len(await shop.payments()) == 1
    _status, html, _ = await shop.get(f"/pay/{ORDER}")
    assert texts.t("en", "push_sent", amount="500", order=ORDER, phone=HOLDS) in html


async def test_a_bad_phone_or_amount_shows_the_chats_message_next_to_its_field(
    shop: WebShop,
) -> None:
    token = await shop.form_token()
    status, html, _ = await shop.post(
        {"csrf": token, "lang": "en", "amount": "5000", "phone": "0712 34"}
    )
    assert status == 422
    amount_error = texts.t("en", "amount_above_balance", balance="3,000")
    phone_error = texts.t("en", "phone_invalid")
    assert f'<p id="amount-error" class="error">{amount_error}</p>' in html
    assert f'<p id="phone-error" class="error">{phone_error}</p>' in html
    assert 'value="0712 34"' in html  # what was typed stays
    status, html, _ = await shop.post(
        {"csrf": token, "lang": "sw", "amount": "12.50", "phone": "020 222 2222"}
    )
    assert status == 422
    assert texts.t("sw", "amount_not_whole") in html
    assert texts.t("sw", "phone_not_mobile") in html
    assert await shop.payments() == []
    assert shop.daraja.prompts == {}


async def test_unknown_references_paid_orders_and_tampered_forms_get_plain_pages(
    shop: WebShop,
) -> None:
    status, html, _ = await shop.get("/pay/WW-9999")
    assert status == 404
    assert "There is no order WW-9999" in html
    assert "<form" not in html
    status, html, _ = await shop.get("/pay/<script>")
    assert status == 404
    assert "<script>" not in html

    token = await shop.form_token()
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    status, html, _ = await shop.post(
        {"csrf": tampered, "lang": "en", "amount": "500", "phone": HOLDS}
    )
    assert status == 403
    assert "Nothing was paid" in html
    other = await shop.form_token("WW-1042")
    await shop.order(200, "WW-2000")
    status, _, _ = await shop.post(
        {"csrf": other, "lang": "en", "amount": "100", "phone": HOLDS}, reference="WW-2000"
    )
    assert status == 403  # a token is for one order's page only
    assert await shop.payments() == []
    assert shop.daraja.prompts == {}

    status, html, _ = await shop.get("/receipts/" + "0" * 32)
    assert status == 404
    assert "There is no receipt" in html
    status, _, _ = await shop.get("/receipts/NLJ7RT61SV")
    assert status == 404


async def test_a_paid_order_shows_a_plain_page_with_its_receipt_and_takes_no_payment(
    shop: WebShop,
) -> None:
    await shop.order(100, "WW-3000")
    token = await shop.form_token("WW-3000")
    fields = {"csrf": token, "lang": "en", "amount": "100", "phone": "0700 000 001"}
    status, _, _ = await shop.post(fields, reference="WW-3000")
    assert status == 303
    for _ in range(50):
        payments = await shop.payments("WW-3000")
        if payments[0].status is PaymentStatus.PAID:
            break
        await asyncio.sleep(0.1)
    status, html, _ = await shop.get("/pay/WW-3000")
    assert status == 200
    assert "Order WW-3000 is already fully paid" in html
    assert "<form" not in html
    assert _RECEIPT_LINK.search(html) is not None
    status, html, _ = await shop.post(fields, reference="WW-3000")
    assert status == 200
    assert "already fully paid" in html
    assert len(await shop.payments("WW-3000")) == 1


async def test_every_answer_carries_a_strict_content_security_policy(shop: WebShop) -> None:
    for path in (f"/pay/{ORDER}", "/pay/NOPE", "/receipts/x", "/web/static/pay.css"):
        _status, _html, response = await shop.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    _status, html, _ = await shop.get(f"/pay/{ORDER}")
    assert "<script>" not in html
    assert "style=" not in html
    assert "http" not in html.split("<body>")[1]


async def test_the_page_weighs_under_30_kb_with_everything_it_loads(shop: WebShop) -> None:
    status, html, _ = await shop.get(f"/pay/{ORDER}")
    assert status == 200
    total = len(html.encode())
    assets = set(re.findall(r'(?:href|src)="(/web/static/[^"]+)"', html))
    # Nothing else is loaded (no images, fonts or third-party files); the script is counted
    # too, though only a page following a payment loads it.
    assert assets <= {"/web/static/pay.css", "/web/static/pay.js"}
    for asset in ["/web/static/pay.css", "/web/static/pay.js"]:
        async with shop.http.get(shop.base + asset) as response:
            assert response.status == 200
            total += len(await response.read())
    assert total < 30 * 1024, total


async def test_too_many_requests_from_one_address_get_a_plain_page(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, web_rate_limit_per_minute=3)
    await shop.order(3000)
    statuses = [(await shop.get(f"/pay/{ORDER}"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    _status, html, _ = await shop.get(f"/pay/{ORDER}")
    assert "Please wait a minute" in html


async def test_with_the_web_checkout_off_there_is_no_page(
    start_shop: StartShop, sqlite_url: str
) -> None:
    shop = await start_shop(sqlite_url, web_checkout_enabled=False)
    await shop.order(3000)
    status, _, _ = await shop.get(f"/pay/{ORDER}")
    assert status == 404


async def test_the_orders_api_answers_the_web_link_of_each_order(shop: WebShop) -> None:
    headers = {"Authorization": "Bearer api-token-for-tests-0123456789"}
    async with shop.http.post(
        f"{shop.base}/api/orders", json={"reference": "WW-5000", "amount": 800}, headers=headers
    ) as created:
        assert created.status == 201
        body = await created.json()
    assert body["web_url"] == f"{shop.base}/pay/WW-5000"
    assert body["pay_url"] is None  # no Telegram in this shop
    status, html, _ = await shop.get("/pay/WW-5000")
    assert status == 200
    assert "KES 800" in html


async def test_the_chats_push_limits_hold_back_a_fourth_push_to_one_number(shop: WebShop) -> None:
    payer = "0700 000 001"  # the simulator's customer who pays at once
    for paid in range(1, 4):
        token = await shop.form_token()
        fields = {"csrf": token, "lang": "en", "amount": "100", "phone": payer}
        status, _, _ = await shop.post(fields)
        assert status == 303
        for _ in range(100):
            payments = await shop.payments()
            if len(payments) == paid and payments[-1].status is PaymentStatus.PAID:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the payment did not settle")
    token = await shop.form_token()
    status, html, _ = await shop.post(
        {"csrf": token, "lang": "en", "amount": "100", "phone": payer}
    )
    assert status == 422
    assert 'id="form-error"' in html
    assert len(await shop.payments()) == 3
    assert len(shop.daraja.prompts) == 3
