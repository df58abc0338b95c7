"""python-telegram-bot handlers feeding the checkout conversation."""

from __future__ import annotations

import logging

from telegram import Update, User
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.events import event_from_update
from bot.rendering import present
from bot.replies import ReplySender
from bot.sending import ChatTurns
from checkout.conversation.model import Event
from checkout.conversation.replying import Conversations
from checkout.conversation.service import ConversationBusy
from checkout.domain.records import Channel, Language
from checkout.domain.replies import Reply
from checkout.i18n.chat import sorry_text
from checkout.runtime.log_context import log_fields

log = logging.getLogger(__name__)


class CheckoutHandlers:
    """Routes private-chat updates to the conversation service and sends back its replies."""

    def __init__(
        self,
        conversations: Conversations,
        default_language: Language,
        *,
        replies: ReplySender,
        answer_button_presses: bool = True,
        turns: ChatTurns | None = None,
    ) -> None:
        """``replies`` sends the replies (handing any Telegram holds back to the outbox).

        ``answer_button_presses`` False: the webhook's own answer answers them already.

        ``turns`` is shared with the outbox's Telegram sender: an update's replies go out
        before any outbox message that its handling caused (a fast callback's "Paid").
        """
        self._conversations = conversations
        self._default_language: Language = default_language
        self._replies = replies
        self._answer_presses = answer_button_presses
        self._turns = turns or ChatTurns()

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        """Register the handlers on a PTB application."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CallbackQueryHandler(self.on_update))
        application.add_handler(
            MessageHandler(private & (filters.TEXT | filters.CONTACT), self.on_update)
        )

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update, every log line it causes tagged with its conversation."""
        chat = update.effective_chat
        conversation = f"{Channel.TELEGRAM.value}:{chat.id}" if chat is not None else None
        with log_fields(conversation=conversation):
            await self._handle(update, context)

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update: feed the flow, send the replies, answer button presses."""
        query = update.callback_query
        chat = update.effective_chat
        user = update.effective_user
        event = event_from_update(update)
        if query is not None and self._answer_presses:
            # Telegram shows a spinner until the press is answered; answer it first.
            try:
                await query.answer()
            except TelegramError as error:
                log.info("could not answer a callback query: %s", error)
        if event is None or chat is None or user is None or chat.type != "private":
            return
        async with self._turns.of(chat.id):
            await self._converse(update, context, chat.id, user, event)

    async def _converse(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        chat_id: int,
        user: User,
        event: Event,
    ) -> None:
        """Feed the event to the conversation and send its replies (holding the chat's turn).

        The user's first name is kept for the staff (their private chat with the bot only)."""
        try:
            answer = await self._conversations.answer(
                Channel.TELEGRAM,
                str(chat_id),
                event,
                telegram_user_id=user.id,
                name=user.first_name,
            )
            replies = present(answer)
        except ConversationBusy:
            replies = []
        except Exception:
            # Never let a traceback reach the customer: log it, say something plain.
            log.exception("update %s failed", update.update_id)
            replies = [Reply(sorry_text(self._default_language))]
        await self._replies.send(context.bot, chat_id, replies)
