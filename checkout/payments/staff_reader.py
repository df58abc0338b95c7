"""The staff chat a notice goes to, in the language of the staff user who reads it.

STAFF_CHAT_ID may name a staff user's private chat with the bot; that user's ``/lugha`` (kept
on their Telegram customer record, see :mod:`checkout.staff.languages`) then decides the
language of the notices written for them, read inside the transaction that writes the notice.
A group chat is nobody's: its notices stay in the business's default language.
"""

from __future__ import annotations

from dataclasses import replace

from checkout.domain.records import Channel, StaffChat
from checkout.payments.unit import UnitOfWork


async def read_by(unit: UnitOfWork, staff: StaffChat) -> StaffChat:
    """``staff`` in its reader's language: the staff user's own for their private chat."""
    if staff.user_id is None:
        return staff
    reader = await unit.customers.find(Channel.TELEGRAM, str(staff.user_id))
    if reader is None or reader.language == staff.language:
        return staff
    return replace(staff, language=reader.language)
