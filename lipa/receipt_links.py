"""The receipt link under a paid payment's message in Telegram, WhatsApp and SMS.

USSD customers get the link in their SMS outcome in its short form, ``/r/<token>`` with the
token's 128 bits in 22 base64url characters, on a line of its own: the SMS sender sends the
outcome and the link as one SMS when they fit 160 GSM characters together (most amounts and
references), else as two SMS, the link right after the outcome (:func:`sms.sender.sms_parts`).
The web page shows its own "Download receipt".

Chained after the plan ledger's hook inside the settling transaction: the payment's receipt
token is stored in that same transaction, so the link in the queued message always opens. This
hook adds the link to the payment's outcome; the words and the button are the presenter's
(:func:`checkout.i18n.payments.messages.customer_reply`).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from checkout.domain.outcomes import PaymentOutcome, ReceiptLink
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.domain.time import Clock
from checkout.payments.unit import SettledOutcomeHook, UnitOfWork
from storage.repositories.receipts import token_in, tokens_in
from storage.unit_of_work import SqlUnitOfWork

RECEIPT_TOKEN_BYTES = 16  # 128 random bits, as the web checkout's own tokens
_WITHOUT_LINK = frozenset({Channel.WEB})
# Where :meth:`ReceiptLinks.prepare` leaves a settling batch's tokens: the session's own
# ``info``, so that they live and die with the transaction that stored them.
_PREPARED = "lipa.receipt_tokens"


class ReceiptLinks:
    """Adds the receipt's link to the outcome of a payment that was paid."""

    def __init__(self, inner: SettledOutcomeHook | None, base_url: str, *, clock: Clock) -> None:
        self._inner = inner
        self._base = base_url.rstrip("/")
        # Telegram refuses a message whose URL button points at a local address (a quick
        # start's http://localhost): the button only for an address the world can open.
        self._button = public_address(self._base)
        self._clock = clock

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Let the inner hook look its payments up at once; store the tokens of those paid.

        ``payments`` are as they settle (a settling batch's): the paid ones' tokens are
        stored in one statement here, and :meth:`settled` takes each from the unit's
        session instead of storing it on its own."""
        if self._inner is not None:
            await self._inner.prepare(unit, payments)
        offered = {
            payment.id: _offer(payment.channel)
            for payment in payments
            if payment.status is PaymentStatus.PAID and payment.channel not in _WITHOUT_LINK
        }
        if offered:
            assert isinstance(unit, SqlUnitOfWork)  # the tokens are stored with the settlement
            tokens = await tokens_in(unit.session, offered, now=self._clock())
            unit.session.info.setdefault(_PREPARED, {}).update(tokens)

    async def settled(self, unit: UnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        """The inner hook's outcome, with the receipt's link when the payment was paid."""
        if self._inner is not None:
            outcome = await self._inner.settled(unit, outcome)
        payment = outcome.payment
        # The page shows its own "Download receipt".
        if payment.status is not PaymentStatus.PAID or payment.channel in _WITHOUT_LINK:
            return outcome
        assert isinstance(unit, SqlUnitOfWork)  # the token is stored with the settlement
        token = unit.session.info.get(_PREPARED, {}).pop(payment.id, None)
        if token is None:
            offered = _offer(payment.channel)
            token = await token_in(unit.session, payment.id, offered, now=self._clock())
        if payment.channel is Channel.USSD:
            # No "?lang=": the receipt follows the phone browser's language, and every
            # character counts in an SMS.
            return replace(outcome, receipt=ReceiptLink(f"{self._base}/r/{token}"))
        link = f"{self._base}/receipts/{token}?lang={payment.language}"
        # Telegram can show a button that opens the PDF: "Receipt (PDF)" under the rest.
        return replace(outcome, receipt=ReceiptLink(link, button=self._button))


def _offer(channel: Channel) -> str:
    """A new token for a payment of ``channel``: short (base64url) in an SMS, hex elsewhere."""
    if channel is Channel.USSD:
        return secrets.token_urlsafe(RECEIPT_TOKEN_BYTES)
    return secrets.token_hex(RECEIPT_TOKEN_BYTES)


def public_address(base_url: str) -> bool:
    """Whether ``base_url`` is one Telegram takes in a URL button: http(s) to a public host."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or host == "localhost":
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith((".local", ".localhost", ".internal"))
    return address.is_global
