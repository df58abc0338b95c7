"""Delivering events to the business's platform: signed HTTPS POSTs, retried by the outbox.

Each POST carries the event as a JSON body and three headers::

    Lipa-Event-Id:  evt_...            (the same on every retry and every URL: de-duplicate on it)
    Lipa-Timestamp: 1764316800         (Unix seconds when this attempt was signed)
    Lipa-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares it in
constant time, and refuses old timestamps, so a captured request cannot be replayed later.
Any 2xx answer delivers the event; anything else (or no answer) is retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from checkout.domain.records import Channel
from checkout.outbox.ports import DeliveryFailed

EVENT_ID_HEADER: Final = "Lipa-Event-Id"
EVENT_TYPE_HEADER: Final = "Lipa-Event-Type"
TIMESTAMP_HEADER: Final = "Lipa-Timestamp"
SIGNATURE_HEADER: Final = "Lipa-Signature"
SIGNATURE_VERSION: Final = "v1"
# A receiver asking for more than an hour's pause is capped: the outbox backs off anyway.
MAX_RETRY_AFTER_SECONDS: Final = 3600.0


def event_body(event: dict[str, Any]) -> bytes:
    """The JSON body of an event: compact, keys sorted, so every retry sends the same bytes."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def retry_after(response: httpx.Response) -> float:
    """The receiver's ``Retry-After`` in seconds (capped), or 0 for the outbox's own backoff."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class EventWebhookSender:
    """Implements ``checkout.outbox.ports.MessageSender`` for :attr:`Channel.EVENTS` with httpx."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        secret: str,
        urls: Sequence[str],
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._secret = secret.encode()
        self._urls = frozenset(urls)
        self._now = now

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """POST the queued event to its URL, signed; raise DeliveryFailed unless it took it."""
        url = payload.get("url")
        event = payload.get("event")
        if not isinstance(event, dict) or not isinstance(url, str):
            raise DeliveryFailed("not an event payload", retry_after=None)
        if url not in self._urls:
            # Removed from EVENT_WEBHOOK_URLS since the event was queued: nobody to tell.
            raise DeliveryFailed(f"receiver {chat_key} is no longer configured", retry_after=None)
        body = event_body(event)
        timestamp = int(self._now())
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: str(event.get("id", "")),
            EVENT_TYPE_HEADER: str(event.get("type", "")),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            # The URL may carry a token of the receiver's: name the receiver by its key only.
            raise DeliveryFailed(
                f"receiver {chat_key}: {type(error).__name__}", retry_after=0.0
            ) from error
        if response.is_success:
            return
        raise DeliveryFailed(
            f"receiver {chat_key} answered {response.status_code}",
            retry_after=retry_after(response),
        )
