"""Reading what the bot did: the messages sent to a chat, and waiting for one to arrive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lipa_testing.telegram_api.records import JSONDict, SentMessage
from lipa_testing.telegram_api.state import _State, _Waiter


class _Recording(_State):
    """Reading and awaiting the records: `sent_to`, `texts_to`, `wait_for`, ..."""

    def sent_to(self, chat_id: int, *, include_edits: bool = True) -> list[SentMessage]:
        """Messages sent (and, unless ``include_edits`` is false, edited) in ``chat_id``."""
        return [m for m in self.sent if m.chat_id == chat_id and (include_edits or not m.is_edit)]

    def texts_to(self, chat_id: int) -> list[str]:
        """What the user of ``chat_id`` read, message by message (edits included)."""
        return [m.body for m in self.sent_to(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a message (as ``Message`` JSON), after any edits."""
        return self._messages.get((chat_id, message_id))

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The reply keyboard the user of ``chat_id`` currently sees, or ``None``."""
        return self._reply_keyboards.get(chat_id)

    @property
    def pending_update_count(self) -> int:
        """Updates waiting in the ``getUpdates`` queue (not yet confirmed)."""
        return len(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the helper's documented interface
        *,
        start: int = 0,
    ) -> SentMessage:
        """Return the first record in ``sent[start:]`` satisfying ``predicate``, waiting for it.

        Woken by each new record (no polling). Raises `TimeoutError` listing what was sent.
        """
        position = start

        def check() -> tuple[bool, Any]:
            nonlocal position
            while position < len(self.sent):
                record = self.sent[position]
                position += 1
                if predicate(record):
                    return True, record
            return False, None

        try:
            result: SentMessage = await self._wait(check, timeout)
        except TimeoutError:
            recent = "; ".join(
                f"{m.method}→{m.chat_id}: {m.body[:60]!r}" for m in self.sent[start:][-8:]
            )
            raise TimeoutError(
                f"no sent message matched within {timeout}s; recent: {recent or 'none'}"
            ) from None
        return result

    async def wait_for_message_to(
        self,
        chat_id: int,
        contains: str = "",
        timeout: float = 5.0,  # noqa: ASYNC109 - like wait_for
        *,
        start: int = 0,
    ) -> SentMessage:
        """Wait for a message to ``chat_id`` whose visible text contains ``contains``."""
        return await self.wait_for(
            lambda m: m.chat_id == chat_id and contains in m.body, timeout, start=start
        )

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - like wait_for
    ) -> None:
        """Wait until ``condition()`` holds; it is re-checked on every recorded event."""
        await self._wait(lambda: (condition(), None), timeout)

    async def _wait(
        self,
        check: Callable[[], tuple[bool, Any]],
        timeout: float,  # noqa: ASYNC109 - applied with asyncio.timeout below
    ) -> Any:
        done, value = check()
        if done:
            return value
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(check, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
