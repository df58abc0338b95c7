"""Each staff user's own language for staff answers, kept with their Telegram customer record.

A staff user is a Telegram user: the customer record of their private chat with the bot
(chat key = user id) already holds a language, which the customer flow's language button
sets too (one language per person). Staff answers follow it wherever the staff user types,
the staff group included; a staff user who never chose reads the business's default
language. Notices to a staff user's own chat (STAFF_CHAT_ID naming them) follow it too
(:mod:`checkout.payments.staff_reader` reads it when a notice is written). Staff notices to
the group are not anyone's answer: they stay in the default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.records import Channel, Language
from checkout.payments.unit import UnitOfWorkFactory


class StaffLanguages:
    """Reads and sets a staff user's language (stored per Telegram user)."""

    def __init__(
        self, units: UnitOfWorkFactory, *, default: Language, clock: Callable[[], datetime]
    ) -> None:
        self._units = units
        self._default: Language = default
        self._clock = clock

    @property
    def default(self) -> Language:
        """The language of a staff user who never chose one."""
        return self._default

    async def of(self, user_id: int) -> Language:
        """The staff user's language."""
        async with self._units() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM,
                str(user_id),
                language=self._default,
                now=self._clock(),
                telegram_user_id=user_id,
            )
            await unit.commit()
        return customer.language

    async def choose(self, user_id: int, language: Language) -> None:
        """Remember ``language`` for the staff user's staff answers."""
        async with self._units() as unit:
            now = self._clock()
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM,
                str(user_id),
                language=language,
                now=now,
                telegram_user_id=user_id,
            )
            await unit.customers.set_language(customer.id, language, now=now)
            await unit.commit()
