"""Queuing a reply for a chat: how every area puts its words in the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from checkout.domain.records import Channel
from checkout.domain.replies import Reply, reply_to_payload
from checkout.outbox.ports import OutboxRepository


class Addressee(Protocol):
    """A chat to write to: a customer, a payment's chat, the staff's chat."""

    @property
    def channel(self) -> Channel: ...

    @property
    def chat_key(self) -> str: ...


async def queue_reply(
    outbox: OutboxRepository,
    to: Addressee,
    reply: Reply | str,
    *,
    now: datetime,
    dedupe_key: str,
    digest: bool = False,
    line: str | None = None,
) -> None:
    """Queue ``reply`` (a text: a reply without buttons) for ``to``, once per ``dedupe_key``.

    ``digest`` marks a staff notice that may go out with others as one message; ``line`` is
    its one-line form there.
    """
    payload = reply_to_payload(reply if isinstance(reply, Reply) else Reply(reply))
    if digest:
        payload["digest"] = True
    if line is not None:
        payload["line"] = line
    await outbox.add(
        channel=to.channel, chat_key=to.chat_key, payload=payload, now=now, dedupe_key=dedupe_key
    )
