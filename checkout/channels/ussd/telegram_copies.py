"""Copies of a USSD customer's payment messages for the same person's Telegram chats.

A customer who pays by USSD and also uses the Telegram bot with the same phone number gets the
outcome in Telegram as well as by SMS, in the language of their Telegram chat. Copies carry no
buttons: "Try again" belongs to the USSD checkout, not to the Telegram conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from checkout.domain.outcomes import PaymentOutcome
from checkout.domain.records import Channel, Language, Order, Payment, PaymentStatus
from checkout.domain.time import Clock
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.i18n.payments.messages import customer_reply
from checkout.outbox.replies import queue_reply
from checkout.payments.unit import UnitOfWork


class TelegramCopies:
    """Queues copies of USSD payments' outcomes for Telegram chats with the same phone.

    Implements ``checkout.payments.unit.SettlementListener``, so every settled USSD payment is
    copied in the transaction that settles it.
    """

    def __init__(self, *, clock: Clock, contact: BusinessContact = NO_CONTACT) -> None:
        self._clock = clock
        self._contact = contact  # how an outcome that sends the customer to the business says to

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Ask once which settled USSD callers' phones have no Telegram chat (most have none)."""
        phones = {
            payment.chat_key
            for payment in payments
            if payment.channel is Channel.USSD and payment.status is not PaymentStatus.PENDING
        }
        await unit.customers.preload_phones(Channel.TELEGRAM, phones)

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """Copy the customer's outcome message of a settled USSD payment."""
        if payment.channel is not Channel.USSD or payment.status is PaymentStatus.PENDING:
            return

        def text(language: Language) -> str:
            outcome = PaymentOutcome(replace(payment, language=language), order)
            return customer_reply(outcome, contact=self._contact).text

        await self.copy(unit, payment, text)

    async def copy(
        self, unit: UnitOfWork, payment: Payment, text: Callable[[Language], str]
    ) -> None:
        """Queue ``text`` (in each chat's language) for the Telegram chats of the USSD caller."""
        if payment.channel is not Channel.USSD:
            return
        # A USSD chat is keyed by the caller's number: the copies go to whoever uses the bot
        # with that number, even when another number paid.
        for customer in await unit.customers.with_phone(Channel.TELEGRAM, payment.chat_key):
            await queue_reply(
                unit.outbox,
                customer,  # a Telegram chat: ``with_phone`` looked on Telegram
                text(customer.language),
                now=self._clock(),
                dedupe_key=f"payment:{payment.id}:copy:{customer.id}",
            )
