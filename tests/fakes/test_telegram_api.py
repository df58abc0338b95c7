"""Behaviour of the fake Telegram Bot API, driven by real python-telegram-bot clients."""

from __future__ import annotations

import asyncio
import datetime as dtm
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import ClientSession, TCPConnector, web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from lipa_testing.telegram_api import FakeTelegram, RateLimits

USER = 254_700_001
OTHER_USER = 254_700_002
GROUP = -4_001_234_567


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as b:
        yield b


@dataclass
class WebhookReceiver:
    """A minimal webhook endpoint that checks the secret header like Lipa's will."""

    secret: str
    url: str = ""
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    got_one: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(sent.encode(), self.secret.encode()):
            return web.Response(status=403)
        self.received.append((dict(request.headers), await request.json()))
        self.got_one.set()
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = WebhookReceiver(secret="s3cret-Token_1")
    app = web.Application()
    app.router.add_post("/telegram", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"
    yield hook
    await runner.cleanup()


def pay_keyboard(order: str = "WW-1042") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Pay KES 1,000", callback_data=f"pay:{order}")],
            [InlineKeyboardButton("Cancel", callback_data=f"cancel:{order}")],
        ]
    )


# ------------------------------------------------------------------ identity and routing


async def test_get_me_returns_the_configured_bot_user(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == fake.bot_id
    assert me.is_bot
    assert me.username == fake.bot_username
    assert bot.username == fake.bot_username  # cached by Bot.initialize


async def test_another_well_formed_token_is_rejected_as_invalid(fake: FakeTelegram) -> None:
    wrong = Bot("987654321:AAHsomeOTHERtokenTHATisNOTaccepted-12", base_url=fake.base_url)

    with pytest.raises(InvalidToken, match=r"(?i)rejected"):
        await wrong.initialize()
    await wrong.shutdown()

    async with httpx.AsyncClient() as client:
        unauthorized = await client.post(
            f"{fake.base_url}987654321:AAHother-token-abcdefghij/getMe"
        )
        malformed = await client.post(f"{fake.base_url}not-a-token/getMe")
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert malformed.status_code == 404


async def test_unknown_method_answers_not_found(fake: FakeTelegram, bot: Bot) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake.api_url}/sendTelepathy", data={"chat_id": "1"})

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_json_bodies_and_case_insensitive_method_names_are_accepted(
    fake: FakeTelegram,
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake.api_url}/SENDMESSAGE",
            json={"chat_id": USER, "text": "Habari", "reply_markup": {"remove_keyboard": True}},
        )

    body = response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "Habari"
    assert fake.sent[-1].chat_id == USER
    assert fake.sent[-1].removes_keyboard
    assert fake.requests_by_method["sendMessage"] == 1


# ------------------------------------------------------------------ sending and recording


async def test_send_message_with_inline_keyboard_round_trips_and_is_recorded(
    fake: FakeTelegram, bot: Bot
) -> None:
    first = await bot.send_message(USER, "Pay <b>KES 1,000</b>?", parse_mode="HTML",
                                   reply_markup=pay_keyboard())  # fmt: skip
    second = await bot.send_message(USER, "Second")

    assert first.text == "Pay KES 1,000?"  # what the user sees: markup parsed
    assert first.reply_markup == pay_keyboard()
    assert first.from_user is not None
    assert first.from_user.id == fake.bot_id
    assert first.chat.id == USER
    assert first.chat.type == "private"
    assert second.message_id == first.message_id + 1

    record = fake.sent_to(USER)[0]
    assert record.method == "sendMessage"
    assert record.text == "Pay <b>KES 1,000</b>?"
    assert record.body == "Pay KES 1,000?"
    assert record.parse_mode == "HTML"
    assert record.message_id == first.message_id
    assert record.callback_data == ["pay:WW-1042", "cancel:WW-1042"]
    assert record.button_texts == ["Pay KES 1,000", "Cancel"]
    assert record.received_at <= time.monotonic()
    assert fake.texts_to(USER) == ["Pay KES 1,000?", "Second"]


async def test_reply_keyboard_with_contact_request_is_tracked_until_removed(
    fake: FakeTelegram, bot: Bot
) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share my number", request_contact=True)]], resize_keyboard=True
    )
    sent = await bot.send_message(USER, "Which number pays?", reply_markup=keyboard)

    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    assert fake.sent[-1].requests_contact
    assert fake.reply_keyboard(USER) == keyboard.to_dict()

    await bot.send_message(USER, "Thanks", reply_markup=ReplyKeyboardRemove())

    assert fake.sent[-1].removes_keyboard
    assert fake.reply_keyboard(USER) is None


async def test_edits_are_recorded_and_an_identical_edit_is_rejected(
    fake: FakeTelegram, bot: Bot
) -> None:
    message = await bot.send_message(USER, "Pay?", reply_markup=pay_keyboard())

    edited = await bot.edit_message_text("Waiting for M-Pesa…", USER, message.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "Waiting for M-Pesa…"
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    assert fake.sent[-1].method == "editMessageText"
    assert fake.sent[-1].is_edit
    assert fake.texts_to(USER) == ["Pay?", "Waiting for M-Pesa…"]
    assert len(fake.sent_to(USER, include_edits=False)) == 1

    with pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_text("Waiting for M-Pesa…", USER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)Message to edit not found"):
        await bot.edit_message_text("x", USER, 999_999)

    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=pay_keyboard("B"))
    assert fake.sent[-1].callback_data == ["pay:B", "cancel:B"]
    assert fake.message(USER, message.message_id) is not None


async def test_send_photo_and_document_record_uploaded_bytes_filename_and_caption(
    fake: FakeTelegram, bot: Bot
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(8) + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    receipt = b"%PDF-1.7 receipt for WW-1042"

    photo = await bot.send_photo(USER, png, caption="QR for WW-1042", filename="qr.png")
    document = await bot.send_document(USER, receipt, filename="receipt.pdf", caption="Risiti")

    assert photo.photo[-1].width == 640
    assert photo.photo[-1].height == 480
    assert photo.caption == "QR for WW-1042"
    assert document.document is not None
    assert document.document.file_name == "receipt.pdf"
    assert document.document.file_size == len(receipt)

    photo_record, document_record = fake.sent_to(USER)
    assert photo_record.method == "sendPhoto"
    assert photo_record.file == png
    assert photo_record.filename == "qr.png"
    assert photo_record.caption == "QR for WW-1042"
    assert document_record.method == "sendDocument"
    assert document_record.file == receipt
    assert document_record.filename == "receipt.pdf"
    assert document_record.mime_type == "application/pdf"
    assert document_record.body == "Risiti"

    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == receipt


async def test_formatting_and_keyboard_errors_are_rejected_like_telegram(
    fake: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag .br."):
        await bot.send_message(USER, "line<br>line", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Character '.' is reserved"):
        await bot.send_message(USER, "Total: KES 1,000.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end of the entity"):
        await bot.send_message(USER, "order pay_WW", parse_mode="Markdown")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER, "x", reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("Pay", callback_data="p" * 65)
            )
        )  # fmt: skip
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, " ")

    ok = await bot.send_message(USER, r"Total: *KES 1,000\.* \(paid\)", parse_mode="MarkdownV2")
    assert ok.text == "Total: KES 1,000. (paid)"
    assert len(fake.sent) == 1


async def test_commands_chat_actions_and_close_are_served(fake: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand("start", "Begin a payment"), BotCommand("status", "Payment status")]

    assert await bot.set_my_commands(commands)
    assert tuple(await bot.get_my_commands()) == tuple(commands)
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(USER, "typing")
    assert fake.chat_actions[-1].action == "typing"
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER, "dancing")
    assert await bot.close()
    assert await bot.log_out()


async def test_blocked_user_and_strict_unknown_chats_are_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.block_bot(USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "Reminder")
    fake.unblock_bot(USER)
    await bot.send_message(USER, "Reminder")

    fake.strict_chats = True
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(OTHER_USER, "Hello stranger")
    await fake.user_sends_text(OTHER_USER, "hi")
    await bot.send_message(OTHER_USER, "Hello")


# ------------------------------------------------------------------ updates by polling


async def test_get_updates_delivers_injected_text_command_contact_and_button_press(
    fake: FakeTelegram, bot: Bot
) -> None:
    offer = await bot.send_message(USER, "Pay?", reply_markup=pay_keyboard())
    await fake.user_sends_text(USER, "Habari", first_name="Wanjiru", language_code="sw")
    await fake.user_sends_command(USER, "start", "pay_WW-1042")
    await fake.user_shares_contact(USER, "+254712345678")
    pressed = await fake.user_presses_button(USER, "pay:WW-1042")
    assert pressed.webhook_status is None

    updates = await bot.get_updates(timeout=1)

    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    text, command, contact, button = updates
    assert text.message is not None
    assert text.message.text == "Habari"
    assert text.effective_user is not None
    assert text.effective_user.first_name == "Wanjiru"
    assert text.effective_user.language_code == "sw"
    assert text.effective_chat is not None
    assert text.effective_chat.id == USER

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pass

    start = CommandHandler("start", ignore)
    checked = start.check_update(command)
    assert isinstance(checked, tuple)
    assert checked[0] == ["pay_WW-1042"]

    assert contact.message is not None
    assert contact.message.contact is not None
    assert contact.message.contact.phone_number == "+254712345678"
    assert contact.message.contact.user_id == USER

    query = button.callback_query
    assert query is not None
    assert query.data == "pay:WW-1042"
    assert query.from_user.id == USER
    assert query.message is not None
    assert query.message.message_id == offer.message_id

    # Confirming by offset forgets the updates, as on Telegram.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_update_count == 0


async def test_long_poll_returns_as_soon_as_an_update_is_injected(
    fake: FakeTelegram, bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    await fake.user_sends_text(USER, "Hi")

    updates = await poll

    assert len(updates) == 1
    assert time.monotonic() - started < 0.5
    empty_started = time.monotonic()
    assert (
        await bot.get_updates(offset=updates[0].update_id + 1, timeout=dtm.timedelta(seconds=0.2))
        == ()
    )
    assert 0.15 < time.monotonic() - empty_started < 0.6


async def test_a_second_bot_instance_polling_terminates_the_first_with_conflict(
    fake: FakeTelegram, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    async with Bot(fake.token, base_url=fake.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=dtm.timedelta(seconds=0.1)) == ()

    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first


async def test_pressing_a_button_the_bot_never_offered_is_refused(fake: FakeTelegram) -> None:
    with pytest.raises(LookupError):
        await fake.user_presses_button(USER, "pay:WW-1042")

    forged = await fake.user_presses_button(USER, "pay:WW-1042", message_id=77)
    assert forged.update["callback_query"]["message"]["message_id"] == 77


async def test_application_in_polling_mode_handles_deep_link_contact_and_button(
    fake: FakeTelegram,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        order = context.args[0].removeprefix("pay_") if context.args else "?"
        await update.effective_message.reply_text(
            f"Pay for order {order}?", reply_markup=pay_keyboard(order)
        )

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_message.contact is not None
        await update.effective_message.reply_text(
            f"Number {update.effective_message.contact.phone_number} saved",
            reply_markup=ReplyKeyboardRemove(),
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Sending STK push")
        await query.edit_message_text("Check your phone for the M-Pesa prompt")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            await fake.user_sends_command(USER, "start", "pay_WW-1042")
            offer = await fake.wait_for_message_to(USER, "Pay for order WW-1042?")
            assert offer.callback_data == ["pay:WW-1042", "cancel:WW-1042"]

            await fake.user_shares_contact(USER, "254712345678")
            await fake.wait_for_message_to(USER, "Number 254712345678 saved")

            await fake.user_presses_button(USER, "pay:WW-1042")
            edit = await fake.wait_for(lambda m: m.is_edit and m.message_id == offer.message_id)
            assert edit.body == "Check your phone for the M-Pesa prompt"
            await fake.wait_until(lambda: len(fake.answered_callback_queries) == 1)
            assert fake.answered_callback_queries[0].text == "Sending STK push"
        finally:
            await app.updater.stop()
            await app.stop()

    assert fake.requests_by_method["deleteWebhook"] >= 1  # PTB clears the webhook first
    assert fake.requests_by_method["getUpdates"] >= 3


async def test_callback_query_can_be_answered_once_only(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "Pay?", reply_markup=pay_keyboard())
    pressed = await fake.user_presses_button(USER, "cancel:WW-1042")
    assert pressed.callback_query_id is not None

    assert await bot.answer_callback_query(pressed.callback_query_id, "Cancelled")
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query(pressed.callback_query_id)
    assert [a.text for a in fake.answered_callback_queries] == ["Cancelled"]


async def test_wait_for_times_out_naming_what_was_sent(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "Something else")

    with pytest.raises(TimeoutError, match=r"(?i)Something else"):
        await fake.wait_for(lambda m: "Paid" in m.body, timeout=0.1)


# ------------------------------------------------------------------ webhook mode


async def test_injected_update_is_posted_to_the_webhook_with_the_secret_header(
    fake: FakeTelegram, bot: Bot, receiver: WebhookReceiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=receiver.secret)
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0

    injected = await fake.user_sends_command(USER, "start", "pay_WW-1042")

    assert injected.webhook_status == 200
    headers, body = receiver.received[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == receiver.secret
    assert headers["Content-Type"] == "application/json"
    update = Update.de_json(body, bot)
    assert update.update_id == injected.update_id
    assert update.message is not None
    assert update.message.text == "/start pay_WW-1042"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()


async def test_webhook_rejection_of_a_wrong_or_missing_secret_is_reported(
    fake: FakeTelegram, bot: Bot, receiver: WebhookReceiver
) -> None:
    await bot.set_webhook(receiver.url, secret_token=receiver.secret)
    injected = await fake.user_sends_text(USER, "Hi")

    assert await fake.deliver_to_webhook(injected.update, secret_token="wrong") == 403
    assert await fake.deliver_to_webhook(injected.update, secret_token=None) == 403
    assert await fake.deliver_to_webhook(injected.update) == 200  # Telegram's retry
    assert [d.status for d in fake.webhook_deliveries] == [200, 403, 403, 200]
    assert fake.webhook_deliveries[2].secret_sent is None
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"

    await fake.deliver_to_webhook(injected.update, url="http://127.0.0.1:9/nowhere")
    assert fake.webhook_deliveries[-1].status is None
    assert fake.webhook_deliveries[-1].error is not None


async def test_deleting_the_webhook_returns_to_polling(
    fake: FakeTelegram, bot: Bot, receiver: WebhookReceiver
) -> None:
    await bot.set_webhook(receiver.url)
    assert fake.webhook is not None
    assert fake.webhook.secret_token is None
    assert (await fake.user_sends_text(USER, "no secret set")).webhook_status == 403

    assert await bot.delete_webhook()
    await fake.user_sends_text(USER, "polling again")

    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["polling again"]
    assert (await bot.get_webhook_info()).url == ""


async def test_application_in_webhook_mode_processes_the_posted_updates(
    fake: FakeTelegram,
) -> None:
    """Lipa's shape: its own aiohttp route checks the secret and hands the update to PTB."""
    secret = "lipa-secret_42"
    app = Application.builder().token(fake.token).base_url(fake.base_url).updater(None).build()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Karibu! args={context.args}")

    app.add_handler(CommandHandler("start", start))

    async def telegram_route(request: web.Request) -> web.Response:
        sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(sent.encode(), secret.encode()):
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response(status=200)  # answer fast, process after

    web_app = web.Application()
    web_app.router.add_post("/telegram", telegram_route)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"
    try:
        async with app:
            await app.start()
            try:
                await app.bot.set_webhook(url, secret_token=secret)

                injected = await fake.user_sends_command(USER, "start", "pay_WW-1042")
                reply = await fake.wait_for_message_to(USER, "Karibu!")
                assert injected.webhook_status == 200
                assert reply.body == "Karibu! args=['pay_WW-1042']"
                assert await fake.deliver_to_webhook(injected, secret_token="forged") == 403
            finally:
                await app.stop()
    finally:
        await runner.cleanup()


async def test_allowed_updates_filter_out_other_update_types(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "Pay?", reply_markup=pay_keyboard())
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()

    await fake.user_sends_text(USER, "ignored")
    await fake.user_presses_button(USER, "pay:WW-1042")

    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query is not None for u in updates] == [True]


async def test_command_addressed_to_the_bot_in_a_group_matches_command_handler(
    fake: FakeTelegram, bot: Bot
) -> None:
    await fake.user_sends_command(USER, "status", chat_id=GROUP, mention_bot=True)
    (update,) = await bot.get_updates(timeout=0)

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pass

    assert update.message is not None
    assert update.message.text == f"/status@{fake.bot_username}"
    assert update.message.chat.type == "group"
    assert CommandHandler("status", ignore).check_update(update)


async def test_one_time_contact_keyboard_is_hidden_once_the_contact_is_shared(
    fake: FakeTelegram, bot: Bot
) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share my number", request_contact=True)]], one_time_keyboard=True
    )
    await bot.send_message(USER, "Which number pays?", reply_markup=keyboard)
    await fake.user_sends_text(USER, "0712 345 678")
    assert fake.reply_keyboard(USER) is not None  # typing does not press a button

    shared = await fake.user_shares_contact(USER, "254712345678", contact_user_id=OTHER_USER)

    assert fake.reply_keyboard(USER) is None
    assert shared.message is not None
    assert shared.message["contact"]["user_id"] == OTHER_USER


# ------------------------------------------------------------------ faults and limits


async def test_injected_flood_surfaces_as_retry_after(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    fake.flood_next(1, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "Paid")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)

    await bot.send_message(USER, "Paid")
    assert fake.too_many_requests == 1
    assert fake.responses_by_status[429] == 1
    assert fake.requests_by_method["sendMessage"] == 2
    assert fake.texts_to(USER) == ["Paid"]


async def test_flood_for_a_duration_counts_down_retry_after(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.flood_for(3.0)

    for _ in range(3):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "x")
        assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert await bot.get_me()  # methods outside the fault's set are unaffected
    fake.clear_faults()
    await bot.send_message(USER, "x")


async def test_server_errors_are_injected_for_the_next_sends_only(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail_next(2, status=500)

    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
            await bot.send_message(USER, "Paid")
    await bot.send_message(USER, "Paid")
    assert fake.responses_by_status[500] == 2


async def test_enforced_rate_limits_answer_429_per_chat_per_group_and_overall(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.enforce_rate_limits()

    await bot.send_message(USER, "one")
    with pytest.raises(RetryAfter) as private:
        await bot.send_message(USER, "two")
    assert private.value.retry_after == dtm.timedelta(seconds=1)

    for i in range(20):
        await bot.send_message(GROUP, f"staff note {i}")
    with pytest.raises(RetryAfter) as group:
        await bot.send_message(GROUP, "one too many")
    assert dtm.timedelta(seconds=55) <= group.value.retry_after <= dtm.timedelta(seconds=60)  # type: ignore[operator]

    for chat in range(1000, 1009):  # 1 + 20 + 9 = 30 accepted within the second
        await bot.send_message(chat, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(2000, "thirty-first")

    assert fake.rate_limited == {USER: 1, GROUP: 1, 2000: 1}
    assert fake.too_many_requests == 3
    fake.disable_rate_limits()
    await bot.send_message(USER, "unlimited again")


async def test_outage_modes_surface_as_network_errors_until_recovery(
    fake: FakeTelegram, bot: Bot
) -> None:
    port = fake.port
    await fake.go_down("502")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(USER, "x")
    await fake.come_back()
    await bot.send_message(USER, "x")

    await fake.go_down("refuse")
    assert fake.is_down
    with pytest.raises((NetworkError, TimedOut)):
        await bot.send_message(USER, "x")
    await fake.come_back()
    assert fake.port == port
    await bot.send_message(USER, "back")
    assert fake.texts_to(USER) == ["x", "back"]


async def test_serves_a_burst_of_concurrent_sends(fake: FakeTelegram) -> None:
    # aiohttp as the client: httpx, not the fake, is the bottleneck at this rate.
    connector = TCPConnector(limit=50)
    async with ClientSession(connector=connector) as session:

        async def send(chat_id: int) -> int:
            form = {"chat_id": str(chat_id), "text": "hi"}
            async with session.post(f"{fake.api_url}/sendMessage", data=form) as response:
                await response.read()
                return response.status

        started = time.monotonic()
        statuses = await asyncio.gather(*(send(i) for i in range(1, 1001)))
        elapsed = time.monotonic() - started

    assert set(statuses) == {200}
    assert len(fake.sent) == 1000
    assert len({m.message_id for m in fake.sent}) == 1000
    assert elapsed < 5.0


async def test_rate_limits_can_be_loosened(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.enforce_rate_limits(RateLimits(per_private_chat=(3, 1.0)))

    for _ in range(3):
        await bot.send_message(USER, "burst")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "fourth")


async def test_a_method_named_in_the_webhook_s_answer_is_run_as_telegram_does(
    fake: FakeTelegram, bot: Bot
) -> None:
    async def answer_in_reply(request: web.Request) -> web.Response:
        update = await request.json()
        query = update.get("callback_query")
        if query is None:
            return web.json_response({"method": "noSuchMethod"})
        return web.json_response(
            {"method": "answerCallbackQuery", "callback_query_id": query["id"]}
        )

    web_app = web.Application()
    web_app.router.add_post("/telegram", answer_in_reply)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/telegram")
        await bot.send_message(USER, "Pay?", reply_markup=pay_keyboard())
        pressed = await fake.user_presses_button(USER, "pay:WW-1042")
        text = await fake.user_sends_text(USER, "hello")
    finally:
        await runner.cleanup()
    assert pressed.webhook_status == 200
    assert text.webhook_status == 200
    assert [a.callback_query_id for a in fake.answered_callback_queries] == [
        pressed.update["callback_query"]["id"]
    ]
    assert fake.webhook_reply_methods == ["answerCallbackQuery"]
