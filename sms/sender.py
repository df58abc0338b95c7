"""The outbox sender for USSD customers: each queued message goes out as one SMS."""

from __future__ import annotations

import logging
from typing import Any

from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, to_gsm7
from checkout.domain.phones import mask_phone
from checkout.domain.records import Channel
from checkout.domain.replies import reply_from_payload
from checkout.outbox.ports import DeliveryFailed
from sms.client import AfricasTalkingSms, SmsRejected, SmsUnavailable

log = logging.getLogger(__name__)


class SmsSender:
    """Implements ``checkout.outbox.ports.MessageSender`` for USSD chats, keyed by the phone number.

    The message's text is sent in the GSM alphabet (buttons have no meaning in an SMS);
    a refused number is given up, anything else is retried by the outbox.
    """

    def __init__(self, client: AfricasTalkingSms, *, mark: str = "") -> None:
        """``mark`` starts every SMS (``[SIMULATED] `` when no money moves)."""
        self._client = client
        self._mark = mark

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Send the payload's text to the chat's phone; raise DeliveryFailed when not accepted."""
        if not chat_key.isdigit():
            raise DeliveryFailed(f"not a phone number: {mask_phone(chat_key)}", retry_after=None)
        parts = sms_parts(self._mark, reply_from_payload(payload).text)
        if any(gsm7_length(part) > SCREEN_LENGTH for part in parts):
            # Still sent: the phone joins the parts, but each part costs an SMS.
            log.warning("SMS to %s takes more than one message", mask_phone(chat_key))
        for text in parts:
            try:
                sent = await self._client.send(f"+{chat_key}", text)
            except SmsRejected as error:
                raise DeliveryFailed(error.detail, retry_after=None) from error
            except SmsUnavailable as error:
                # 0: the outbox's own backoff decides when to try again.
                raise DeliveryFailed(error.detail, retry_after=0.0) from error
            # DEBUG: a line per SMS cost the outbox as much CPU as marking it sent; at INFO
            # the outbox says how many went out per committed batch (``_SentMarks``), and
            # each message's row keeps when it was sent.
            log.debug("SMS %s sent to %s", sent.message_id or "-", mask_phone(chat_key))


def sms_parts(mark: str, text: str) -> list[str]:
    """The SMS a message goes out as, in the GSM alphabet, each starting with ``mark``.

    One SMS when it fits 160 GSM characters. A longer one whose last line (a receipt link
    under an outcome) and what comes before it each fit goes out as those two SMS, in order,
    rather than as a joined message that costs as much and may be shown cut in the middle;
    anything else goes out whole.
    """
    whole = to_gsm7(mark + text)
    if gsm7_length(whole) <= SCREEN_LENGTH:
        return [whole]
    head, _, last = text.rstrip().rpartition("\n")
    parts = [to_gsm7(mark + head.strip()), to_gsm7(mark + last.strip())]
    if head.strip() and all(gsm7_length(part) <= SCREEN_LENGTH for part in parts):
        return parts
    return [whole]
