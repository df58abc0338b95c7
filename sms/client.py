"""A client of Africa's Talking's SMS API: one message to one phone, answers as typed results.

``POST {base}/version1/messaging`` with the form fields ``username, to, message`` (and ``from``
for a sender id) and the headers ``apiKey`` and ``Accept: application/json``. The answer lists
each recipient with a ``statusCode``: 100-102 mean accepted; the others say why not. This
module turns every answer into :class:`SmsSent` or one of two errors: :class:`SmsRejected`
(the message can never go to this number) or :class:`SmsUnavailable` (try again later; the
gateway is down, our account needs a person, or the network did not route it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import httpx

from checkout.domain.phones import mask_phone

log = logging.getLogger(__name__)

MESSAGING_PATH: Final = "/version1/messaging"
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=10.0)

# Recipient status codes: accepted (Processed, Sent, Queued) ...
ACCEPTED: Final = frozenset({100, 101, 102})
# ... never deliverable to this number as things stand: RiskHold (held for review; sending
# again would send twice), InvalidPhoneNumber, UnsupportedNumberType, UserInBlacklist,
# DoNotDisturbRejection. Everything else (InvalidSenderId and InsufficientBalance, which a
# person fixes; CouldNotRoute; gateway errors; codes not known here) is worth another try.
REJECTED: Final = frozenset({401, 403, 404, 406, 409})
_NUMBER: Final = re.compile(r"\+?\d{9,}")


class SmsError(Exception):
    """An SMS was not accepted; ``detail`` is for logs (it never holds the API key)."""

    def __init__(self, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


class SmsRejected(SmsError):
    """The gateway will never deliver this message to this number: do not try again."""


class SmsUnavailable(SmsError):
    """The message was not accepted now; the same message may well go through later."""


@dataclass(frozen=True, slots=True)
class SmsConfig:
    """The Africa's Talking account messages are sent from."""

    username: str
    api_key: str = field(repr=False)
    sender_id: str | None = None  # an approved alphanumeric sender id or short code


@dataclass(frozen=True, slots=True)
class SmsSent:
    """The gateway accepted the message for one recipient."""

    message_id: str
    status_code: int
    status: str
    cost: str = ""


def build_sms_http_client(
    base_url: str,
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for the SMS API at ``base_url`` with explicit timeouts (caller closes it)."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=timeout,
        transport=transport,
        # The API key travels in a header: never follow a redirect elsewhere with it.
        follow_redirects=False,
        headers={"Accept": "application/json"},
    )


class FormPoster(Protocol):
    """What posts the SMS form: an ``httpx.AsyncClient`` on the API's base URL, or a lighter
    poster with the same answers and errors (``daraja.aiohttp_transport.AiohttpForms``)."""

    async def post(
        self, url: str, *, data: dict[str, str], headers: dict[str, str]
    ) -> httpx.Response:
        """POST the form to ``url`` (a path under the API's base URL); raise httpx's errors."""
        ...


class AfricasTalkingSms:
    """Sends SMS through Africa's Talking with the given client (its base URL and timeouts)."""

    def __init__(self, http: FormPoster, config: SmsConfig) -> None:
        self._http = http
        self._config = config

    async def send(self, phone: str, message: str) -> SmsSent:
        """Send ``message`` to ``phone`` (``+2547…``); raises SmsRejected or SmsUnavailable."""
        form = {"username": self._config.username, "to": phone, "message": message}
        if self._config.sender_id:
            form["from"] = self._config.sender_id
        masked = mask_phone(phone.lstrip("+"))
        try:
            response = await self._http.post(
                MESSAGING_PATH,
                data=form,
                headers={"apiKey": self._config.api_key, "Accept": "application/json"},
            )
        except httpx.TimeoutException as error:
            # The message may have been accepted; sending again risks a duplicate SMS, which
            # is better than a customer never hearing how their payment ended.
            raise SmsUnavailable(
                f"timed out sending to {masked}: {type(error).__name__}"
            ) from error
        except httpx.HTTPError as error:
            raise SmsUnavailable(f"could not reach the SMS API: {type(error).__name__}") from error
        return _read_answer(response, masked)


def _read_answer(response: httpx.Response, masked: str) -> SmsSent:
    """The accepted message, or the error the answer means."""
    status = response.status_code
    if status == 401:
        log.error("the SMS API refused our credentials: check AT_USERNAME and AT_API_KEY")
        raise SmsUnavailable("SMS API credentials refused (HTTP 401)")
    if status >= 500 or status == 429:
        raise SmsUnavailable(f"SMS API answered HTTP {status}")
    if status >= 400:
        # Africa's Talking answers a malformed request (e.g. a number it cannot parse) with a
        # plain-text 4xx: the same request will be refused again.
        raise SmsRejected(
            f"SMS API refused the message to {masked}: HTTP {status} {_snippet(response)}"
        )
    recipient = _recipient(response)
    if recipient is None:
        raise SmsUnavailable(f"SMS API answer without a recipient: {_snippet(response)}")
    code = recipient.get("statusCode")
    label = str(recipient.get("status", ""))
    if not isinstance(code, int) or isinstance(code, bool):
        raise SmsUnavailable(f"SMS API answer without a status code: {_snippet(response)}")
    if code in ACCEPTED:
        return SmsSent(
            message_id=str(recipient.get("messageId", "")),
            status_code=code,
            status=label,
            cost=str(recipient.get("cost", "")),
        )
    detail = f"SMS to {masked} not accepted: {code} {label}"
    if code in REJECTED:
        raise SmsRejected(detail, status_code=code)
    raise SmsUnavailable(detail, status_code=code)


def _recipient(response: httpx.Response) -> dict[str, Any] | None:
    """The first recipient of a JSON answer, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("SMSMessageData") if isinstance(body, dict) else None
    recipients = data.get("Recipients") if isinstance(data, dict) else None
    if not isinstance(recipients, list) or not recipients:
        return None
    first = recipients[0]
    return first if isinstance(first, dict) else None


def _snippet(response: httpx.Response) -> str:
    """The start of an answer's body for logs, with phone numbers in it masked."""
    text = response.text[:200].replace("\n", " ")
    return _NUMBER.sub(lambda match: mask_phone(match.group().lstrip("+")), text)
