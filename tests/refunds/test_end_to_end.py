"""A refund end to end: the real bot, webhook server and simulator on real sockets.

A customer pays by STK push; one staff user asks for a refund in the staff chat, another
approves it; the simulator reverses (or pays back by B2C) and posts its Result to our result
route; the customer, the staff and the order all show it.
"""

from __future__ import annotations

from sqlalchemy import select

from checkout.domain.records import OrderStatus
from checkout.domain.refunds import RefundState
from daraja.simulator.ledger import Kind
from daraja.simulator.settings import DEFAULT_B2C_SHORTCODE, SimulatorSettings
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from storage.models import PaymentRow
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import reach_confirmation, seed

CUSTOMER = 5001
STAFF_CHAT = -1001
ASKER = 7001
APPROVER = 7002


async def paid_receipt(telegram: FakeTelegram, service: Service) -> str:
    await seed(service)
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        receipt = await unit.session.scalar(select(PaymentRow.receipt_number))
    assert receipt
    return str(receipt)


async def start(telegram: FakeTelegram, start_service: StartService, url: str) -> Service:
    settings = service_settings(
        telegram,
        url,
        mode="polling",
        staff_user_ids=[ASKER, APPROVER],
        mpesa_b2c_shortcode=DEFAULT_B2C_SHORTCODE,
    )
    return await start_service(settings)


async def test_a_refund_asked_by_one_and_approved_by_another_reaches_the_customer_once(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    receipt = await paid_receipt(telegram, service)

    await telegram.user_sends_command(ASKER, "refund", f"{receipt} paid twice", chat_id=STAFF_CHAT)
    request = await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    assert "KES 1,500" in request.text
    assert request.callback_data == ["refund:approve:1", "refund:reject:1"]

    await telegram.user_presses_button(ASKER, "refund:approve:1", chat_id=STAFF_CHAT)
    await telegram.wait_until(
        lambda: any(a.text for a in telegram.answered_callback_queries), timeout=10
    )
    [own] = [a for a in telegram.answered_callback_queries if a.text]
    assert own.show_alert
    assert "yourself" in str(own.text)

    await telegram.user_presses_button(APPROVER, "refund:approve:1", chat_id=STAFF_CHAT)
    back = await telegram.wait_for_message_to(CUSTOMER, "on its way back", timeout=15)
    assert "KES 1,500 for order WW-1042 is on its way back to 0712 345 678" in back.text
    done = await telegram.wait_for_message_to(STAFF_CHAT, "completed", timeout=10)
    assert "balance is now KES 1,500" in done.text

    assert service.lipa is not None
    assert service.lipa.refunds is not None
    view = await service.lipa.refunds.desk.get(1)
    assert view is not None
    assert view.refund.state is RefundState.COMPLETED
    assert view.order is not None
    assert view.order.status is OrderStatus.REFUNDED
    # A third press changes nothing, and nothing goes out twice.
    await telegram.user_presses_button(
        APPROVER, "refund:approve:1", message_id=request.message_id, chat_id=STAFF_CHAT
    )
    await telegram.wait_until(
        lambda: sum(1 for a in telegram.answered_callback_queries if a.text) >= 3, timeout=10
    )
    assert "already" in str(telegram.answered_callback_queries[-1].text)
    backs = [t for t in telegram.texts_to(CUSTOMER) if "on its way back" in t]
    assert len(backs) == 1


async def test_a_part_refund_goes_back_by_b2c_and_leaves_a_balance(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    receipt = await paid_receipt(telegram, service)
    await telegram.user_sends_command(ASKER, "refund", f"{receipt} 500", chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    await telegram.user_presses_button(APPROVER, "refund:approve:1", chat_id=STAFF_CHAT)
    back = await telegram.wait_for_message_to(CUSTOMER, "on its way back", timeout=15)
    assert "KES 500" in back.text
    assert service.lipa is not None
    assert service.lipa.refunds is not None
    view = await service.lipa.refunds.desk.get(1)
    assert view is not None
    assert view.refund.method is not None
    assert view.refund.method.value == "b2c"
    assert view.order is not None
    assert view.order.balance == 500
    assert view.order.status is OrderStatus.PARTLY_PAID


async def test_a_queue_timeout_is_asked_about_and_never_sent_again(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    receipt = await paid_receipt(telegram, service)
    assert service.lipa is not None
    assert service.lipa.simulator is not None
    simulator = service.lipa.simulator.daraja
    simulator.initiator.time_out_next()
    await telegram.user_sends_command(ASKER, "refund", receipt, chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    await telegram.user_presses_button(APPROVER, "refund:approve:1", chat_id=STAFF_CHAT)
    failed = await telegram.wait_for_message_to(STAFF_CHAT, "failed", timeout=20)
    assert "dropped the request from its queue" in failed.text
    # The requester and the approver are told in private too.
    await telegram.wait_for_message_to(ASKER, "dropped the request", timeout=10)
    await telegram.wait_for_message_to(APPROVER, "dropped the request", timeout=10)
    assert [t for t in simulator.ledger.all() if t.kind is Kind.REVERSAL] == []
    assert service.lipa.refunds is not None
    view = await service.lipa.refunds.desk.get(1)
    assert view is not None
    assert view.refund.attempts == 1
    assert view.order is not None
    assert view.order.status is OrderStatus.PAID


async def test_a_b2c_queue_timeout_is_asked_about_by_its_call_and_never_sent_again(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # A part refund goes by B2C; Daraja drops it from its queue. Transaction Status is asked
    # about the B2C call itself (it has no transaction id), finds nothing, and the refund
    # fails as dropped: one B2C request in all, no money moved.
    service = await start(telegram, start_service, sqlite_url)
    receipt = await paid_receipt(telegram, service)
    assert service.lipa is not None
    assert service.lipa.simulator is not None
    simulator = service.lipa.simulator.daraja
    simulator.initiator.time_out_next()
    await telegram.user_sends_command(ASKER, "refund", f"{receipt} 500", chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    await telegram.user_presses_button(APPROVER, "refund:approve:1", chat_id=STAFF_CHAT)
    failed = await telegram.wait_for_message_to(STAFF_CHAT, "failed", timeout=20)
    assert "dropped the request from its queue" in failed.text
    assert [t for t in simulator.ledger.all() if t.kind is Kind.B2C] == []
    assert service.lipa.refunds is not None
    view = await service.lipa.refunds.desk.get(1)
    assert view is not None
    assert view.refund.method is not None
    assert view.refund.method.value == "b2c"
    assert view.refund.attempts == 1
    assert view.order is not None
    assert view.order.status is OrderStatus.PAID


async def test_too_little_b2c_float_fails_with_the_reason(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram,
        sqlite_url,
        mode="polling",
        staff_user_ids=[ASKER, APPROVER],
        mpesa_b2c_shortcode=DEFAULT_B2C_SHORTCODE,
    )
    service = await start_service(
        settings,
        simulator=SimulatorSettings(
            callback_delay=0.2, seed=7, b2c_float={DEFAULT_B2C_SHORTCODE: 100}
        ),
    )
    receipt = await paid_receipt(telegram, service)
    await telegram.user_sends_command(
        ASKER, "refund", f"{receipt} 500 wrong size", chat_id=STAFF_CHAT
    )
    await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    await telegram.user_presses_button(APPROVER, "refund:approve:1", chat_id=STAFF_CHAT)
    failed = await telegram.wait_for_message_to(STAFF_CHAT, "failed", timeout=20)
    assert "too little money" in failed.text
    assert "staff user 7001" in failed.text
    assert "staff user 7002" in failed.text


async def test_in_webhook_mode_a_refused_press_is_said_in_the_chat(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="webhook", staff_user_ids=[ASKER, APPROVER]
    )
    service = await start_service(settings)
    receipt = await paid_receipt(telegram, service)
    await telegram.user_sends_command(ASKER, "refund", receipt, chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    await telegram.user_presses_button(ASKER, "refund:approve:1", chat_id=STAFF_CHAT)
    refused = await telegram.wait_for_message_to(STAFF_CHAT, "yourself", timeout=10)
    assert "another staff user must approve it" in refused.text


async def test_the_refund_button_in_find_asks_as_the_command_does_and_is_refused_the_same(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # Issue 15: a "Refund" button under a paid payment in /find starts /refund <receipt>.
    service = await start(telegram, start_service, sqlite_url)
    receipt = await paid_receipt(telegram, service)
    await telegram.user_sends_command(ASKER, "find", receipt)
    found = await telegram.wait_for_message_to(ASKER, receipt, timeout=10)
    assert found.callback_data == [f"/refund {receipt}"]
    assert found.inline_keyboard[0][0]["text"] == f"Refund {receipt} (KES 1,500)"

    await telegram.user_presses_button(
        ASKER, f"/refund {receipt}", message_id=found.message_id, chat_id=ASKER
    )
    request = await telegram.wait_for_message_to(STAFF_CHAT, "must approve it", timeout=10)
    assert request.callback_data == ["refund:approve:1", "refund:reject:1"]
    await telegram.wait_for_message_to(ASKER, "waiting for another staff user", timeout=10)

    # A second press is refused with the command's own reason: nothing more to refund.
    start_at = len(telegram.sent)
    await telegram.user_presses_button(
        APPROVER, f"/refund {receipt}", message_id=found.message_id, chat_id=ASKER
    )
    again = await telegram.wait_for(lambda m: m.chat_id == ASKER, 10, start=start_at)
    assert "asked for already" in again.text or "more than can go back" in again.text
    assert service.lipa is not None
    assert service.lipa.refunds is not None
    assert await service.lipa.refunds.desk.get(2) is None
