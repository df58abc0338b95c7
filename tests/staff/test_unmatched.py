"""Staff /unmatched in Telegram: the queue with "Credit to order …" and "Not ours", each once."""

from __future__ import annotations

from datetime import UTC, datetime

from checkout.till.records import LedgerSource, LedgerState, TillPayment
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings

STAFF = 7001
CUSTOMER = 5001


async def start(telegram: FakeTelegram, start_service: StartService, url: str) -> Service:
    settings = service_settings(telegram, url, mode="polling", staff_user_ids=[STAFF])
    return await start_service(settings)


def paid(code: str, amount: int, account: str) -> TillPayment:
    return TillPayment(
        transaction_id=code,
        amount=amount,
        paid_at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
        account=account,
        msisdn="2547****149",
        payer_name="JOHN DOE",
    )


async def queue(service: Service, *payments: TillPayment) -> None:
    assert service.lipa is not None
    for payment in payments:
        await service.lipa.till.record(payment, source=LedgerSource.CONFIRMATION)


async def order(service: Service, reference: str, amount: int) -> None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.orders.create(reference, amount, known=True)
        await unit.commit()


async def state(service: Service, code: str) -> LedgerState:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        entry = await unit.till.get(code)
    assert entry is not None
    return entry.state


async def ask(telegram: FakeTelegram, text: str, user: int = STAFF) -> int:
    start_at = len(telegram.sent)
    name, _, argument = text.partition(" ")
    await telegram.user_sends_command(user, name, argument or None)
    await telegram.wait_for(lambda m: m.chat_id == user, 15, start=start_at)
    return start_at


async def test_the_queue_offers_the_fitting_order_and_a_press_credits_it_once(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    await order(service, "WW-7", 700)
    await queue(service, paid("RKTQDM7W6S", 700, "shoes"))

    start_at = await ask(telegram, "/unmatched")
    line = await telegram.wait_for(
        lambda m: m.chat_id == STAFF and "RKTQDM7W6S" in (m.text or ""), 15, start=start_at
    )
    assert "2547****149" in (line.text or "")
    assert line.callback_data == [
        "/unmatched RKTQDM7W6S WW-7",
        "/unmatched RKTQDM7W6S notours",
    ]
    assert line.button_texts == ["Credit to order WW-7", "Not ours"]
    await telegram.wait_for(lambda m: "/unmatched lists them" in (m.text or ""), 15, start=start_at)

    answers = []
    for _ in range(2):
        before = len(telegram.sent)
        await telegram.user_presses_button(STAFF, "/unmatched RKTQDM7W6S WW-7")
        answer = await telegram.wait_for(
            lambda m: m.chat_id == STAFF and m.method == "sendMessage", 15, start=before
        )
        answers.append(answer.text or "")
    assert "credited to order WW-7" in answers[0]
    assert "already dealt with" in answers[1]
    assert await state(service, "RKTQDM7W6S") is LedgerState.CREDITED


async def test_not_ours_by_typing_and_anyone_else_gets_the_customer_flow(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    await queue(service, paid("RKTQDM7W6S", 700, "shoes"))

    start_at = await ask(telegram, "/unmatched RKTQDM7W6S notours")
    answer = telegram.sent[start_at:][-1]
    assert "not ours" in (answer.text or "")
    assert await state(service, "RKTQDM7W6S") is LedgerState.NOT_OURS

    start_at = await ask(telegram, "/unmatched", user=CUSTOMER)
    to_customer = [m.text or "" for m in telegram.sent[start_at:] if m.chat_id == CUSTOMER]
    assert to_customer
    assert all("RKTQDM7W6S" not in text for text in to_customer)
