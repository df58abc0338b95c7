"""The chat presenter: what one event led to, said as the customer's replies.

The conversation service returns an :class:`~checkout.conversation.outcomes.EventOutcome`;
this turns it into the replies every chat channel shows (Telegram, WhatsApp, USSD's screens,
the demo): the flow's prompts first, then each effect's outcome in order, in the
conversation's language. A push held back by a limit is left to the channel, which says it
after these (shorter on USSD).
"""

from __future__ import annotations

from typing import assert_never

from checkout.bnpl.rules import PlanRules
from checkout.bnpl.views.news import plan_replies
from checkout.conversation.model import Reply
from checkout.conversation.open_orders import OrderDeclined, OrdersListed
from checkout.conversation.orders_view import orders_replies
from checkout.conversation.outcomes import (
    CodeChecked,
    EffectOutcome,
    EventOutcome,
    HistoryFound,
    OrderPaidFound,
    PlanDeskNews,
    StatusFound,
    VerifyOff,
)
from checkout.domain.outcomes import PaymentRefused, PushNotSent, PushStarted, VerifyOutcome
from checkout.domain.records import Language
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.i18n.payments import messages as say
from checkout.i18n.till.verify import customer_text, verify_off_text

# The plans' rules when none are given: only a plan desk's news needs them.
DEFAULT_PLAN_RULES = PlanRules()


class ChatPresenter:
    """Says a chat event's outcome: ``contact`` in the answers that send the customer to the
    business, ``plan_rules`` in a plan's offer and refusals, ``business_name`` in "Not mine"."""

    def __init__(
        self,
        *,
        contact: BusinessContact = NO_CONTACT,
        plan_rules: PlanRules = DEFAULT_PLAN_RULES,
        business_name: str = "",
    ) -> None:
        self._contact = contact
        self._plan_rules = plan_rules
        self._business_name = business_name

    def replies(self, outcome: EventOutcome) -> list[Reply]:
        """The flow's prompts, then what each effect came to, in order."""
        replies = list(outcome.prompts)
        for effect in outcome.effects:
            replies += self.effect_replies(outcome.language, effect)
        return replies

    def effect_replies(self, language: Language, effect: EffectOutcome) -> list[Reply]:
        """What one effect's outcome says (nothing: a code M-Pesa was given up on at once,
        whose request has told the customer already)."""
        match effect:
            case PushStarted() | PushNotSent() | PaymentRefused():
                return say.start_replies(language, effect)
            case StatusFound(latest):
                return [say.status_reply(language, latest)]
            case HistoryFound(payments):
                return [say.history_reply(language, payments)]
            case OrderPaidFound(reference, last_paid):
                return [say.order_paid_reply(language, reference, last_paid)]
            case CodeChecked():
                return self._code_replies(language, effect)
            case VerifyOff(code):
                return [Reply(verify_off_text(language, code, contact=self._contact))]
            case PlanDeskNews(news):
                return plan_replies(language, news, rules=self._plan_rules)
            case OrdersListed() | OrderDeclined():
                return orders_replies(language, effect, business=self._business_name)
            case _:
                assert_never(effect)

    def _code_replies(self, language: Language, checked: CodeChecked) -> list[Reply]:
        verified = checked.verified
        if verified.outcome is VerifyOutcome.UNAVAILABLE and verified.request_id is not None:
            return []  # given up at once: the request's handler has told the customer
        balance = verified.order.balance if verified.order is not None else None
        # M-Pesa's amount, where its answer is known already ("too small" names it).
        amount = verified.facts.amount if verified.facts is not None else None
        text = customer_text(
            language,
            verified.outcome,
            code=verified.code,
            order=checked.order_reference,
            amount=amount,
            balance=balance,
            contact=self._contact,
        )
        return [Reply(text)]
