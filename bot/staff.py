"""Staff commands in Telegram: ``/neworder``, ``/today``, ``/pending``, ``/find``, ``/report``,
``/export``, ``/help`` and ``/language`` (``/lugha``), for the users in ``STAFF_USER_IDS`` only.

They run in a handler group before the customer flow and stop the update there, so a staff
command is never also read by the checkout. Anyone else's ``/today`` falls through to the
customer flow, which answers unknown commands with the menu. QR codes and charts are drawn in
a worker thread, so a chart never holds up other chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Any, Final, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.charts import bar_chart_png
from bot.documents import MEGABYTE, UPLOAD_LIMIT_BYTES, Document, TooLarge, fit_document
from bot.qr import qr_card_png, qr_png
from bot.sending import wait_up_to
from checkout.runtime.log_context import log_fields
from checkout.staff.answers import (
    ButtonsAnswer,
    ChartAnswer,
    DocumentAnswer,
    QrAnswer,
    StaffAnswer,
    StaffRequest,
    TextAnswer,
)
from checkout.staff.commands import StaffDesk

log = logging.getLogger(__name__)

# Before the customer flow's group 0: staff commands are answered here and go no further.
STAFF_GROUP: Final = -1
# How long a staff answer may wait for its chat (a group takes 20 messages a minute).
STAFF_WAIT_SECONDS: Final = 65.0


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """``text`` cut into messages of at most ``limit`` characters, at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a message: cut it hard
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return chunks


def caption(text: str) -> str:
    """``text`` within Telegram's caption limit."""
    limit = MessageLimit.CAPTION_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StaffCommands(Protocol):
    """What the handlers need of the staff desk: :class:`StaffDesk`, or one that adds commands
    around it (:class:`checkout.staff.verify.StaffVerify`)."""

    @property
    def commands(self) -> frozenset[str]: ...

    async def handle(self, request: StaffRequest) -> StaffAnswer: ...

    def say(self, key: str, **params: object) -> str: ...


class StaffHandlers:
    """Routes staff commands from staff users to the :class:`StaffDesk` and sends its answers."""

    def __init__(
        self,
        desk: StaffDesk | StaffCommands,
        staff_user_ids: Collection[int],
        *,
        staff_chat_id: int | None = None,
        upload_limit: int = UPLOAD_LIMIT_BYTES,
    ) -> None:
        """``upload_limit``: the largest document the Bot API takes, in bytes (a file over it
        is sent zipped; see :mod:`bot.documents`)."""
        self._desk = desk
        self._staff_user_ids = frozenset(staff_user_ids)
        self._staff_chat_id = staff_chat_id
        self._upload_limit = upload_limit

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        """Register the staff commands (nothing, when no staff user is configured)."""
        if not self._staff_user_ids:
            log.info("STAFF_USER_IDS is empty: staff commands are off")
            return
        chats: filters.BaseFilter = filters.ChatType.PRIVATE
        if self._staff_chat_id is not None:
            chats = chats | filters.Chat(chat_id=self._staff_chat_id)
        application.add_handler(
            CommandHandler(
                sorted(self._desk.commands),
                self.on_command,
                filters=filters.User(user_id=self._staff_user_ids) & chats,
            ),
            group=STAFF_GROUP,
        )
        # Staff answers' buttons (/unmatched's) carry the command they stand for; "Refund"
        # buttons (/refund <receipt>) are the refund handlers' (bot/refunds.py).
        application.add_handler(
            CallbackQueryHandler(self.on_button, pattern=r"^/(?!refund )", block=True),
            group=STAFF_GROUP,
        )

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A staff answer's button: run the command it carries, as if typed by its presser."""
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None or user.id not in self._staff_user_ids:
            return  # not a staff button, or not staff: the customer flow's to answer
        with contextlib.suppress(TelegramError):
            await query.answer()
        head, _, argument = (query.data or "").partition(" ")
        name = head.lstrip("/")
        chat = update.effective_chat
        if chat is None or name not in self._desk.commands:
            raise ApplicationHandlerStop
        request = StaffRequest(
            name, argument.strip(), context.bot.username, user_id=user.id, chat_id=chat.id
        )
        with log_fields(conversation=f"telegram:{chat.id}", command=name):
            try:
                await self.send(context.bot, chat.id, await self._desk.handle(request))
            except Exception:
                log.exception("staff button /%s failed", name)
        raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run one staff command and send its answer; the customer flow never sees it."""
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or message.text is None:
            raise ApplicationHandlerStop
        head, _, argument = message.text.partition(" ")
        name = head.lstrip("/").partition("@")[0].lower()
        with log_fields(conversation=f"telegram:{chat.id}", command=name):
            try:
                answer = await self._desk.handle(
                    StaffRequest(
                        name,
                        argument.strip(),
                        context.bot.username,
                        user_id=user.id if user is not None else None,
                        chat_id=chat.id,
                    )
                )
                await self.send(context.bot, chat.id, answer)
            except Exception:
                # Staff get a plain apology; the traceback goes to the logs only.
                log.exception("staff command /%s failed", name)
                with contextlib.suppress(TelegramError):
                    await context.bot.send_message(chat.id, self._desk.say("failed"))
        raise ApplicationHandlerStop

    async def send(self, bot: Bot, chat_id: int, answer: StaffAnswer) -> None:
        """Send one answer: text, a QR code photo, a chart photo, or a document.

        In a staff group busy with notifications (20 messages a minute) the answer waits for
        the group's next free moment, up to a minute, rather than being refused.
        """
        wait = wait_up_to(bot, STAFF_WAIT_SECONDS)
        if isinstance(answer, TextAnswer):
            for chunk in split_text(answer.text):
                await bot.send_message(chat_id, chunk, **wait)
        elif isinstance(answer, ButtonsAnswer):
            for part in answer.messages:
                keyboard = [
                    [InlineKeyboardButton(label, callback_data=data)]
                    for label, data in part.buttons
                ]
                markup = InlineKeyboardMarkup(keyboard) if keyboard else None
                await bot.send_message(chat_id, part.text, reply_markup=markup, **wait)
        elif isinstance(answer, QrAnswer):
            if answer.title:
                image = await asyncio.to_thread(
                    qr_card_png, answer.link, answer.title, answer.lines
                )
            else:
                image = await asyncio.to_thread(qr_png, answer.link)
            await bot.send_photo(
                chat_id,
                InputFile(image, filename="pay-link.png"),
                caption=caption(answer.caption),
                **wait,
            )
        elif isinstance(answer, ChartAnswer):
            chart = await asyncio.to_thread(
                bar_chart_png, answer.title, answer.labels, answer.values
            )
            await bot.send_photo(
                chat_id,
                InputFile(chart, filename="takings.png"),
                caption=caption(answer.caption),
                **wait,
            )
        elif isinstance(answer, DocumentAnswer):
            await self._send_document(bot, chat_id, answer, wait)

    async def _send_document(
        self, bot: Bot, chat_id: int, answer: DocumentAnswer, wait: dict[str, Any]
    ) -> None:
        """Send a file as it is, zipped when over the upload limit, or say it is too large."""
        fitted = None
        try:
            fitted = await asyncio.to_thread(
                fit_document,
                answer.data,
                answer.filename,
                answer.mime_type,
                limit=self._upload_limit,
            )
            if isinstance(fitted, TooLarge):
                log.warning(
                    "document %s not sent: %d bytes zipped, over the %d-byte upload limit",
                    answer.filename,
                    fitted.size,
                    fitted.limit,
                )
                text = self._desk.say(
                    "document_too_large",
                    size=max(1, round(fitted.size / MEGABYTE)),
                    limit=fitted.limit // MEGABYTE,
                )
                await bot.send_message(chat_id, text, **wait)
                return
            # A file is streamed to Telegram as it is read (not read into memory first).
            document = InputFile(fitted.data, filename=fitted.filename, read_file_handle=False)
            await bot.send_document(chat_id, document, caption=caption(answer.caption), **wait)
        finally:
            # The export's file, and the zip made of it (a file of its own) when there is one.
            zipped = fitted.data if isinstance(fitted, Document) else None
            for data in (answer.data, zipped):
                if data is not None and not isinstance(data, bytes):
                    data.close()
