"""Staff ``/refund`` and the refund requests' Approve / Reject buttons, in Telegram.

Both are for ``STAFF_USER_IDS`` only (and whoever ``REFUND_APPROVERS`` / ``REFUND_OWNER_IDS``
name), in private chats and the staff chat, in the staff handler group, so the customer flow
never sees them. A press is answered on the button (an alert when refused); a decision takes
the buttons off the request, and the staff chat is told through the outbox.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.staff import STAFF_GROUP, split_text
from checkout.refunds.notices import PRESS_PREFIX
from checkout.runtime.log_context import log_fields
from checkout.staff.refunds import RefundCommands
from checkout.staff.views.refunds import press_answer, refund_text

log = logging.getLogger(__name__)

# The data of the "Refund" button under a paid payment: the command it types.
REFUND_BUTTON = "/refund "
# Telegram shows at most 200 characters on a button's answer.
_ALERT_LIMIT = 200


class RefundHandlers:
    """Routes ``/refund`` and the refund buttons to :class:`RefundCommands`, and has what
    they did said by :mod:`checkout.staff.views.refunds`."""

    def __init__(
        self,
        commands: RefundCommands,
        staff_user_ids: Collection[int],
        *,
        staff_chat_id: int | None = None,
        answer_button_presses: bool = True,
    ) -> None:
        """``answer_button_presses`` False (webhook mode): the webhook's own answer answered
        the press already, so a refusal is said in the chat instead of on the button."""
        self._commands = commands
        self._users = frozenset(staff_user_ids)
        self._staff_chat_id = staff_chat_id
        self._answer_presses = answer_button_presses

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        """Register the command and the buttons (nothing without staff users)."""
        if not self._users:
            return
        chats: filters.BaseFilter = filters.ChatType.PRIVATE
        if self._staff_chat_id is not None:
            chats = chats | filters.Chat(chat_id=self._staff_chat_id)
        application.add_handler(
            CommandHandler(
                "refund", self.on_command, filters=filters.User(user_id=self._users) & chats
            ),
            group=STAFF_GROUP,
        )
        application.add_handler(
            CallbackQueryHandler(self.on_press, pattern=f"^{PRESS_PREFIX}"), group=STAFF_GROUP
        )
        # The "Refund" button under a paid payment in /find and /verify: /refund <receipt>.
        application.add_handler(
            CallbackQueryHandler(self.on_refund_button, pattern=f"^{REFUND_BUTTON}"),
            group=STAFF_GROUP,
        )

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/refund <receipt> [amount] [reason]``."""
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or user is None or message.text is None:
            raise ApplicationHandlerStop
        _, _, argument = message.text.partition(" ")
        await self._refund(context, chat.id, argument, user.id)
        raise ApplicationHandlerStop

    async def _refund(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, argument: str, user_id: int
    ) -> None:
        """Ask for the refund ``argument`` names and say in the chat what became of it."""
        with log_fields(conversation=f"telegram:{chat_id}", command="refund"):
            try:
                text = refund_text(await self._commands.refund(argument.strip(), user_id=user_id))
            except Exception:
                log.exception("staff command /refund failed")
                text = "Sorry, that failed on our side. Please try again."
            for chunk in split_text(text):
                with contextlib.suppress(TelegramError):
                    await context.bot.send_message(chat_id, chunk)

    async def on_refund_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A "Refund" button: the same request, and the same refusals, as typing its command."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None or query.data is None:
            raise ApplicationHandlerStop
        with contextlib.suppress(TelegramError):
            if self._answer_presses:
                await query.answer()
        if user.id not in self._users:
            raise ApplicationHandlerStop
        await self._refund(context, chat.id, query.data.removeprefix(REFUND_BUTTON), user.id)
        raise ApplicationHandlerStop

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press of Approve or Reject: only staff users' presses count."""
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None or query.data is None:
            raise ApplicationHandlerStop
        if user.id not in self._users:
            with contextlib.suppress(TelegramError):
                await query.answer()
            raise ApplicationHandlerStop
        try:
            pressed = await self._commands.press(query.data, user_id=user.id)
            answer = press_answer(pressed) if pressed is not None else None
        except Exception:
            log.exception("refund button failed")
            answer = None
        with contextlib.suppress(TelegramError):
            if answer is None:
                if self._answer_presses:
                    await query.answer()
            elif self._answer_presses:
                await query.answer(answer.text[:_ALERT_LIMIT], show_alert=answer.refused)
            elif answer.refused and query.message is not None:
                await context.bot.send_message(query.message.chat.id, answer.text)
            if answer is not None and answer.final and query.message is not None:
                await query.edit_message_reply_markup(None)
        raise ApplicationHandlerStop
