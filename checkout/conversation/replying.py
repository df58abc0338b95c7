"""What the chat channels talk to: the conversation service, its outcomes said by the presenter.

:class:`Conversations` feeds an event to
:class:`~checkout.conversation.service.ConversationService`, which returns what happened, and
has :class:`~checkout.conversation.presenter.ChatPresenter` say it: Telegram, WhatsApp, USSD
and the demo get the replies to show, the step and the language, and a push the limits held
back (each channel says that one in its own length).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Unpack

from checkout.conversation.model import Event, Reply, Step
from checkout.conversation.presenter import DEFAULT_PLAN_RULES, ChatPresenter
from checkout.conversation.resume import Unfinished
from checkout.conversation.service import ConversationService, Sender
from checkout.domain.outcomes import PushRefused
from checkout.domain.records import Channel, Language
from checkout.i18n.contact import NO_CONTACT, BusinessContact


@dataclass(frozen=True, slots=True)
class Answer:
    """What one event led to, said: the replies to show, and where the conversation now stands.

    ``refused`` is a push the limits held back: the channel's presenter says it in words
    (:func:`checkout.i18n.payments.refusals.refusal_text`) after the replies.
    """

    replies: list[Reply] = field(default_factory=list)
    step: Step = Step.IDLE
    language: Language = "en"
    refused: PushRefused | None = None


class Conversations:
    """The conversation service with its outcomes said by the chat presenter."""

    def __init__(self, service: ConversationService, presenter: ChatPresenter) -> None:
        self.service = service
        self._presenter = presenter

    async def handle(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        **who: Unpack[Sender],
    ) -> list[Reply]:
        """Apply one event from a chat and return its replies (a refused push: :meth:`answer`)."""
        answer = await self.answer(channel, chat_key, event, **who)
        return answer.replies

    async def answer(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        **who: Unpack[Sender],
    ) -> Answer:
        """Apply one event from a chat: the replies, and the step the conversation is now in."""
        outcome = await self.service.answer(channel, chat_key, event, **who)
        replies = self._presenter.replies(outcome)
        return Answer(replies, outcome.step, outcome.language, outcome.refused)

    async def unfinished(self, channel: Channel, chat_key: str) -> Unfinished | None:
        """The order a chat left half paid, if it can be carried on with (reads only)."""
        return await self.service.unfinished(channel, chat_key)


def chat_conversations(
    service: ConversationService, *, contact: BusinessContact = NO_CONTACT
) -> Conversations:
    """``service``'s outcomes said in its chats: ``contact`` in the answers that send the
    customer to the business, its plan desk's rules in a plan's offer and refusals, its open
    orders' business name in "Not mine"."""
    presenter = ChatPresenter(
        contact=contact,
        plan_rules=service.plan_rules or DEFAULT_PLAN_RULES,
        business_name=service.business_name or "",
    )
    return Conversations(service, presenter)
