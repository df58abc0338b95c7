"""A small client of the WhatsApp Business Cloud API's ``POST /{phone-number-id}/messages``.

Why not ``pywa``: its async client would do, but it brings its own update handling and
listeners built around a FastAPI or Flask server (its ``server`` extra adds Starlette and
Uvicorn), and Lipa's server is aiohttp; Lipa needs one call and WhatsApp's error codes mapped
to its own retry decisions. This client takes its ``httpx.AsyncClient`` from outside (tests
and the demo point it at a fake), and turns every refusal into :class:`WhatsAppError` with
WhatsApp's numeric code, in one place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import httpx

from checkout.domain.phones import mask_phone

log = logging.getLogger(__name__)

# Error codes whose meaning decides what Lipa does (Cloud API error codes).
RATE_LIMITED: Final = 130429  # throughput reached: wait and retry
PAIR_RATE_LIMITED: Final = 131056  # too many messages to one number: wait longer and retry
OUTSIDE_WINDOW: Final = 131047  # more than 24 hours since the customer's last message
UNDELIVERABLE: Final = 131026  # not a WhatsApp user, old app, or the customer blocked us
ACCESS_TOKEN: Final = 190  # the access token expired or was revoked
TEMPORARY_CODES: Final = frozenset({1, 2, 4, 80007, 131000, 131016, 133004})


class WhatsAppError(Exception):
    """The Cloud API refused a send; ``code`` is WhatsApp's error code (0: none given)."""

    def __init__(self, code: int, detail: str, *, http_status: int) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.http_status = http_status

    @property
    def temporary(self) -> bool:
        """Whether trying the same send again later may work."""
        return (
            self.code in (RATE_LIMITED, PAIR_RATE_LIMITED, ACCESS_TOKEN)
            or self.code in TEMPORARY_CODES
            or self.http_status >= 500
            or self.http_status == 429
        )


class WhatsAppUnavailable(Exception):
    """The Cloud API could not be reached or did not answer in time."""


@dataclass(frozen=True, slots=True)
class CloudApiConfig:
    """Which business number sends, and the token it sends with (never logged)."""

    phone_number_id: str
    access_token: str


def build_whatsapp_http_client(
    base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An HTTP client for the Cloud API (``base_url`` includes the version, e.g. ``/v21.0``)."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        timeout=httpx.Timeout(timeout, connect=5.0),
        transport=transport,
    )


class CloudApi:
    """Sends messages as the business's WhatsApp number."""

    def __init__(self, http: httpx.AsyncClient, config: CloudApiConfig) -> None:
        self._http = http
        self._config = config

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message (a rendered body) to ``to``; WhatsApp's message id (``wamid``)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        body.update(message)
        try:
            answer = await self._http.post(
                f"{self._config.phone_number_id}/messages",
                json=body,
                headers={"Authorization": f"Bearer {self._config.access_token}"},
            )
        except httpx.HTTPError as error:
            raise WhatsAppUnavailable(type(error).__name__) from error
        data = _json(answer)
        if answer.status_code >= 400 or "error" in data:
            raise _error(answer.status_code, data)
        try:
            message_id = str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise WhatsAppError(
                0, "no message id in the answer", http_status=answer.status_code
            ) from None
        log.info("WhatsApp %s sent to %s", message.get("type"), mask_phone(to))
        return message_id


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(http_status: int, data: dict[str, Any]) -> WhatsAppError:
    """WhatsApp's error shape ``{"error": {"code", "message", "error_data": {"details"}}}``."""
    error = data.get("error")
    if not isinstance(error, dict):
        return WhatsAppError(0, f"HTTP {http_status}", http_status=http_status)
    code = error.get("code")
    details = error.get("error_data")
    detail = str(error.get("message") or "")
    if isinstance(details, dict) and details.get("details"):
        detail = f"{detail} ({details['details']})"
    return WhatsAppError(
        code if isinstance(code, int) else 0,
        detail or f"HTTP {http_status}",
        http_status=http_status,
    )
