"""Telegram delivery maps Telegram's answers to retry decisions; rendering fits Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import ReplyKeyboardMarkup

from bot.notifier import TelegramSender
from bot.rendering import render
from bot.sending import ChatTurns, send_text
from checkout.conversation.model import Button, Reply, reply_to_payload
from checkout.domain.records import Channel
from checkout.outbox.ports import DeliveryFailed
from lipa_testing.telegram_request import RecordingRequest


@pytest.fixture
def fake() -> RecordingRequest:
    """Telegram answered in-process: what the sender sends, and how it takes refusals."""
    return RecordingRequest()


@pytest.fixture
async def sender(fake: RecordingRequest) -> AsyncIterator[TelegramSender]:
    async with fake.bot() as bot:
        yield TelegramSender(bot)


PAYLOAD = reply_to_payload(Reply("Paid", buttons=((Button("Try again", "retry"),),)))


async def test_a_message_is_delivered_with_its_buttons(
    fake: RecordingRequest, sender: TelegramSender
) -> None:
    await sender.send(Channel.TELEGRAM, "42", PAYLOAD)
    message = await fake.wait_for_message_to(42, "Paid")
    assert message.callback_data == ["retry"]


async def test_a_429_asks_to_retry_after_telegrams_delay(
    fake: RecordingRequest, sender: TelegramSender
) -> None:
    fake.flood_next(1, retry_after=7)
    with pytest.raises(DeliveryFailed) as caught:
        await sender.send(Channel.TELEGRAM, "42", PAYLOAD)
    assert caught.value.retry_after == 7


async def test_a_blocked_bot_is_not_retried(fake: RecordingRequest, sender: TelegramSender) -> None:
    fake.block_bot(42)
    with pytest.raises(DeliveryFailed) as caught:
        await sender.send(Channel.TELEGRAM, "42", PAYLOAD)
    assert caught.value.retry_after is None


async def test_telegram_down_is_retried(fake: RecordingRequest, sender: TelegramSender) -> None:
    await fake.go_down("502")
    with pytest.raises(DeliveryFailed) as caught:
        await sender.send(Channel.TELEGRAM, "42", PAYLOAD)
    assert caught.value.retry_after == 0.0


async def test_a_chat_key_that_is_not_a_chat_id_is_not_retried(sender: TelegramSender) -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await sender.send(Channel.TELEGRAM, "terminal", PAYLOAD)
    assert caught.value.retry_after is None


def test_a_contact_request_with_inline_buttons_is_one_message_with_one_keyboard() -> None:
    # Issue 19: two messages back to back meet Telegram's one-a-second per chat.
    reply = Reply(
        "Which number?",
        buttons=((Button("Use 0712", "phone:saved"),), (Button("Cancel", "cancel"),)),
        request_contact="Share my number",
    )
    message = render(reply)
    assert message.text == "Which number?"
    assert isinstance(message.markup, ReplyKeyboardMarkup)
    rows = [[button.text for button in row] for row in message.markup.keyboard]
    assert rows == [["Share my number"], ["Use 0712"], ["Cancel"]]
    assert message.markup.keyboard[0][0].request_contact is True
    assert message.markup.one_time_keyboard is True


async def test_an_outbox_message_waits_for_the_chat_s_turn(fake: RecordingRequest) -> None:
    # While an update's handler holds chat 42's turn (sending its replies), the outbox's
    # message to 42 waits; another chat's does not.
    turns = ChatTurns()
    async with fake.bot() as bot:
        sender = TelegramSender(bot, turns)
        async with turns.of(42):
            waiting = asyncio.create_task(sender.send(Channel.TELEGRAM, "42", PAYLOAD))
            await sender.send(Channel.TELEGRAM, "43", PAYLOAD)
            await asyncio.sleep(0.05)
            assert not waiting.done()
            assert fake.sent_to(42) == []
            await send_text(bot, 42, "Enter your PIN")
        await waiting
    assert [message.text for message in fake.sent_to(42)] == ["Enter your PIN", "Paid"]


async def test_an_outbox_message_does_not_wait_for_a_turn_forever(fake: RecordingRequest) -> None:
    # An update stuck on a hanging Daraja push holds its chat's turn; the outbox message
    # goes out anyway after a bounded wait (well inside its lease, so it is never sent twice).
    turns = ChatTurns()
    async with fake.bot() as bot:
        sender = TelegramSender(bot, turns, turn_wait_seconds=0.1)
        async with turns.of(42):
            await asyncio.wait_for(sender.send(Channel.TELEGRAM, "42", PAYLOAD), timeout=5)
            assert [message.text for message in fake.sent_to(42)] == ["Paid"]
        assert not turns.of(42).locked()
