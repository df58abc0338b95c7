"""Staff run the business from Telegram: every command, for staff only, on the fake Bot API."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import png
import pytest

from bot.qr import qr_png
from checkout.domain.records import PaymentStatus
from checkout.domain.time import NAIROBI
from checkout.payments.unit import UnitOfWorkFactory
from lipa.service import Service
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram, SentMessage
from tests.e2e.conftest import StartService, service_settings
from tests.staff.seeding import Seed, seed

STAFF = 7001
OTHER_STAFF = 7002
CUSTOMER = 5001
STAFF_CHAT = -1001
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def start(telegram: FakeTelegram, start_service: StartService, url: str) -> Service:
    settings = service_settings(telegram, url, mode="polling", staff_user_ids=[STAFF, OTHER_STAFF])
    return await start_service(settings)


def units(service: Service) -> UnitOfWorkFactory:
    assert service.lipa is not None
    return service.lipa.units


def decoded_png(data: bytes | None) -> tuple[int, int]:
    """Width and height of a PNG that decodes completely (every row read)."""
    assert data is not None
    assert data.startswith(PNG_SIGNATURE)
    width, height, rows, _info = png.Reader(bytes=data).read()
    assert sum(1 for _ in rows) == height
    return width, height


async def command(
    telegram: FakeTelegram, text: str, *, user: int = STAFF, chat: int | None = None
) -> SentMessage:
    start_at = len(telegram.sent)
    name, _, argument = text.partition(" ")
    await telegram.user_sends_command(user, name, argument or None, chat_id=chat)
    target = chat if chat is not None else user
    return await telegram.wait_for(lambda m: m.chat_id == target, 15, start=start_at)


async def test_neworder_answers_the_deep_link_and_a_qr_code_of_it(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)

    answer = await command(telegram, "/neworder 1,500 0712345678 Duvet wash")

    assert answer.method == "sendPhoto"
    match = re.search(r"https://t\.me/lipa_test_bot\?start=pay_([A-Z0-9-]{1,12})", answer.body)
    assert match is not None, answer.body
    reference = match.group(1)
    assert "KES 1,500" in answer.body
    assert "0712 345 678" in answer.body
    assert "Duvet wash" in answer.body
    width, height = decoded_png(answer.file)
    # A card to print: the code (at least 21 modules of 10 pixels), the words under it.
    code_width, code_height = decoded_png(
        qr_png(f"https://t.me/lipa_test_bot?start=pay_{reference}")
    )
    assert width >= code_width >= 21 * 10
    assert height > code_height
    async with units(service)() as unit:
        order = await unit.orders.get(reference)
    assert order is not None
    assert (order.amount_due, order.known) == (1500, True)
    assert (order.customer_phone, order.description) == ("254712345678", "Duvet wash")

    # The link works: the customer lands on the order's amount.
    await telegram.user_sends_command(CUSTOMER, "start", f"pay_{reference}")
    prompt = await telegram.wait_for_message_to(CUSTOMER, "KES 1,500")
    assert f"amount:{1500}" in prompt.callback_data


async def test_neworder_answers_the_web_link_too_and_it_opens_the_orders_page(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)

    answer = await command(telegram, "/neworder 700")

    match = re.search(rf"{re.escape(service.base_url)}/pay/([A-Z0-9-]{{1,12}})", answer.body)
    assert match is not None, answer.body
    assert "any browser" in answer.body
    async with aiohttp.ClientSession() as http, http.get(match.group(0)) as page:
        assert page.status == 200
        assert "KES 700" in await page.text()


async def test_sendlink_texts_an_orders_web_link_to_the_customers_phone(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    async with FakeSmsApi() as sms_api:
        settings = service_settings(
            telegram,
            sqlite_url,
            mode="polling",
            staff_user_ids=[STAFF],
            at_username=sms_api.username,
            at_api_key=sms_api.api_key,
            at_api_base_url=sms_api.base_url,
        )
        service = await start_service(settings)
        created = await command(telegram, "/neworder 900")
        match = re.search(rf"{re.escape(service.base_url)}/pay/([A-Z0-9-]{{1,12}})", created.body)
        assert match is not None, created.body

        answer = await command(telegram, f"/sendlink {match.group(1).lower()} 0712 345 678")

        assert "on its way to 0712 345 678" in answer.body
        sms = await sms_api.wait_for("+254712345678", match.group(0), timeout=10)
        assert "KES 900 left" in sms.message
        assert "on its way" not in (await command(telegram, "/sendlink WW-NOPE 0712345678")).body
        assert "Usage: /sendlink" in (await command(telegram, "/sendlink")).body
        assert len(sms_api.messages) == 1


async def test_sendlink_without_sms_says_what_it_needs(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, "/sendlink WW-1042 0712345678")
    assert "needs the web checkout and SMS" in answer.body


async def test_neworder_without_a_phone_takes_the_rest_as_the_description(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, "/neworder 300 Two shirts")
    assert answer.method == "sendPhoto"
    assert "For: Two shirts" in answer.body
    assert "Customer" not in answer.body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/neworder", "Usage: /neworder"),
        ("/neworder lots", "whole shillings"),
        ("/neworder 300000", "whole shillings"),
        # Four digits are a phone number cut short, not a description (issue 22, item 9).
        ("/neworder 1500 0812", "0812 is not a Kenyan mobile number"),
        ("/neworder 300 2 shirts", "For: 2 shirts"),  # a count, not a phone
        ("/neworder 300 0200000000 x", "not a Kenyan mobile number"),
    ],
)
async def test_neworder_explains_what_is_wrong(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, text: str, expected: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, text)
    assert expected in answer.body


async def test_a_mistyped_phone_is_refused_with_the_reason_and_no_order_is_saved(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    cases = {
        "/neworder 1500 0812": "check the digits",
        "/neworder 1500 0712 345 67 Duvet": "check the digits",
        "/neworder 1500 +44 7911 123456": "Kenyan numbers only",
        "/neworder 1500 020 2000000 Duvet": "landline",
    }
    for text, reason in cases.items():
        answer = await command(telegram, text)
        assert answer.method == "sendMessage", text
        assert reason in answer.body, answer.body
        assert "Nothing was saved" in answer.body
    assert not [m for m in telegram.sent if m.method == "sendPhoto"]


async def test_a_phone_typed_in_groups_of_digits_is_the_customer_phone(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, "/neworder 1500 0712 345 678 2 shirts")
    assert answer.method == "sendPhoto"
    assert "Customer: 0712 345 678" in answer.body
    assert "For: 2 shirts" in answer.body


async def test_someone_not_on_the_staff_list_gets_the_customer_menu(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    for text in ("/neworder 1500", "/today", "/pending", "/find WW-1", "/report", "/export"):
        answer = await command(telegram, text, user=CUSTOMER)
        assert answer.method == "sendMessage"
        assert answer.button_texts == ["Pay an order", "My payments", "Help"], text
    async with units(service)() as unit:
        assert await unit.reports.count_partly_paid() == 0
        found = await unit.reports.find_payments(
            receipt=None, reference=None, phone="254712345678", limit=5
        )
    assert found == []
    assert not [m for m in telegram.sent if m.method in ("sendPhoto", "sendDocument")]


async def test_staff_commands_work_in_the_staff_group_too(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, "/today", chat=STAFF_CHAT)
    assert "Today" in answer.body
    # A stranger in the group is not answered (the customer flow works in private chats only).
    before = len(telegram.sent)
    await telegram.user_sends_command(CUSTOMER, "today", chat_id=STAFF_CHAT)
    answer = await command(telegram, "/pending", user=OTHER_STAFF, chat=STAFF_CHAT)
    assert "waiting for M-Pesa" in answer.body
    assert [m.body for m in telegram.sent[before:]] == [answer.body]


async def test_today_counts_and_sums_by_outcome_and_shows_no_plans(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    await seed(units(service), Seed("T-1", 1500, PaymentStatus.PAID, now, receipt="RA1"))
    await seed(units(service), Seed("T-2", 2500, PaymentStatus.PAID, now, receipt="RA2"))
    await seed(units(service), Seed("T-3", 800, PaymentStatus.CANCELLED, now))
    await seed(units(service), Seed("T-4", 100, PaymentStatus.PENDING, now))
    await seed(units(service), Seed("T-5", 9999, PaymentStatus.PAID, now - timedelta(days=2)))

    answer = await command(telegram, "/today")

    assert "paid: 2, KES 4,000" in answer.body
    assert "cancelled: 1, KES 800" in answer.body
    assert "waiting: 1, KES 100" in answer.body
    assert "All: 4 payments. Paid: KES 4,000." in answer.body
    assert "BNPL: no open plans." in answer.body
    assert "9,999" not in answer.body


async def test_pending_lists_waiting_payments_and_partly_paid_orders(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    await seed(units(service), Seed("W-1", 640, PaymentStatus.PENDING, now, phone="254799887766"))
    await seed(units(service), Seed("HALF-1", 500, PaymentStatus.PAID, now, order_amount=2000))

    answer = await command(telegram, "/pending")

    assert "Payments waiting for M-Pesa: 1" in answer.body
    # Issue 22: in a staff user's private chat the whole number, to call the customer back.
    assert "KES 640, order W-1, 0799 887 766" in answer.body
    assert "Orders paid in part: 1" in answer.body
    assert "HALF-1: KES 500 of 2,000 paid, KES 1,500 left" in answer.body


async def test_find_shows_matching_payments_with_their_events(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    paid = await seed(
        units(service), Seed("F-1", 1200, PaymentStatus.PAID, now, receipt="NLJ7RT61SV")
    )
    await seed(units(service), Seed("F-2", 50, PaymentStatus.FAILED, now, phone="254711000111"))

    by_receipt = await command(telegram, "/find NLJ7RT61SV")
    assert f"#{paid.id} paid: KES 1,200, order F-1" in by_receipt.body
    assert "callback" in by_receipt.body
    assert "F-2" not in by_receipt.body

    by_phone = await command(telegram, "/find 0711 000 111")
    assert "order F-2" in by_phone.body
    assert "0711 000 111" in by_phone.body  # issue 22: whole in a private chat

    by_order = await command(telegram, "/find f-1")
    assert "NLJ7RT61SV" in by_order.body

    assert "No payment matches ZZZ-1" in (await command(telegram, "/find ZZZ-1")).body
    assert "Usage: /find" in (await command(telegram, "/find")).body


async def test_find_shows_the_receipt_link_of_a_paid_payment_and_it_opens_the_pdf(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    await seed(units(service), Seed("F-1", 1200, PaymentStatus.PAID, now, receipt="NLJ7RT61SV"))
    await seed(units(service), Seed("F-2", 50, PaymentStatus.FAILED, now))

    found = await command(telegram, "/find 0712345678")

    links = re.findall(
        rf"Receipt: ({re.escape(service.base_url)}/receipts/[0-9a-f]{{32}})", found.body
    )
    assert len(links) == 1  # the paid payment's only
    again = await command(telegram, "/find NLJ7RT61SV")
    assert links[0] in again.body  # one token per payment
    async with aiohttp.ClientSession() as http, http.get(links[0]) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("period", ["", "week", "month"])
async def test_report_sends_a_real_png_bar_chart_with_the_totals(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, period: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    await seed(units(service), Seed("R-1", 1000, PaymentStatus.PAID, now))
    await seed(units(service), Seed("R-2", 2500, PaymentStatus.PAID, now - timedelta(days=1)))
    await seed(units(service), Seed("R-3", 700, PaymentStatus.FAILED, now))

    answer = await command(telegram, f"/report {period}".strip())

    assert answer.method == "sendPhoto"
    width, height = decoded_png(answer.file)
    assert width > height > 200
    assert "KES 3,500 from 2 payments" in answer.body
    assert "Best day" in answer.body


async def test_report_with_an_unknown_period_says_how_to_use_it(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, "/report year")
    assert answer.method == "sendMessage"
    assert "Usage: /report [week|month]" in answer.body


async def test_export_sends_a_csv_that_parses_and_sums_right(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    amounts = [1500, 2750, 12]
    for n, amount in enumerate(amounts):
        await seed(units(service), Seed(f"X-{n}", amount, PaymentStatus.PAID, now))
    await seed(units(service), Seed("X-F", 400, PaymentStatus.CANCELLED, now))
    today = now.astimezone(NAIROBI).date()
    first = (today - timedelta(days=2)).isoformat()
    last = (today + timedelta(days=2)).isoformat()

    answer = await command(telegram, f"/export {first} {last}")

    assert answer.method == "sendDocument"
    assert answer.filename == f"payments-{first}-to-{last}.csv"
    assert answer.file is not None
    rows = list(csv.DictReader(io.StringIO(answer.file.decode())))
    assert len(rows) == 4
    paid = sum(int(row["amount"]) for row in rows if row["status"] == "paid")
    assert paid == sum(amounts)
    assert f"Paid: 3 payments, KES {paid:,}." in answer.body
    assert {row["order_reference"] for row in rows} == {"X-0", "X-1", "X-2", "X-F"}


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("yesterday", "Usage: /export"),
        ("2026-11-20 2026-11-01", "before the start date"),
        ("2024-01-01 2026-11-01", "At most 366 days"),
        ("2026-11-01 2026-11-02 2026-11-03", "Usage: /export"),
    ],
)
async def test_export_explains_bad_dates(
    telegram: FakeTelegram,
    start_service: StartService,
    sqlite_url: str,
    argument: str,
    expected: str,
) -> None:
    await start(telegram, start_service, sqlite_url)
    answer = await command(telegram, f"/export {argument}")
    assert answer.method == "sendMessage"
    assert expected in answer.body


async def test_whole_numbers_only_in_a_private_chat_and_only_with_staff_see_full_phones(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    now = datetime.now(UTC)
    await seed(units(service), Seed("W-9", 640, PaymentStatus.PENDING, now, phone="254799887766"))

    in_private = await command(telegram, "/find W-9")
    assert "0799 887 766" in in_private.body
    in_group = await command(telegram, "/find W-9", chat=STAFF_CHAT)
    assert "2547****7766" in in_group.body
    assert "887 766" not in in_group.body
    pending_in_group = await command(telegram, "/pending", chat=STAFF_CHAT)
    assert "2547****7766" in pending_in_group.body


async def test_staff_see_full_phones_off_keeps_private_chats_masked(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram,
        sqlite_url,
        mode="polling",
        staff_user_ids=[STAFF, OTHER_STAFF],
        staff_see_full_phones=False,
    )
    service = await start_service(settings)
    now = datetime.now(UTC)
    await seed(units(service), Seed("W-9", 640, PaymentStatus.PENDING, now, phone="254799887766"))
    answer = await command(telegram, "/find 0799887766")
    assert "2547****7766" in answer.body
    assert "887 766" not in answer.body
