"""`FakeWhatsApp`: the Cloud API's send route on a real socket (the business side: what Lipa
sent, checked against the rules, the 24-hour window and injected failures), and the
customer's side, signed webhooks POSTed to Lipa.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
from aiohttp import web

from lipa_testing.local_server import LocalServer
from lipa_testing.whatsapp_api.cloud_api import (
    API_VERSION,
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TEMPLATES,
    ERRORS,
    WINDOW,
    _error,
    sign,
)
from lipa_testing.whatsapp_api.records import Refusal, SentWhatsApp, WebhookDelivery, _Failure
from lipa_testing.whatsapp_api.rules import limit_violations


class FakeWhatsApp(LocalServer):
    """The Cloud API on ``127.0.0.1``; point ``WHATSAPP_API_BASE_URL`` at :attr:`base_url`."""

    def __init__(
        self,
        *,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        app_secret: str = DEFAULT_APP_SECRET,
        templates: dict[str, frozenset[str]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.app_secret = app_secret
        self.templates = dict(DEFAULT_TEMPLATES if templates is None else templates)
        self.clock = clock
        self.webhook_url: str | None = None  # where customers' messages are POSTed
        self.sent: list[SentWhatsApp] = []
        self.refused: list[Refusal] = []
        self.violations: list[str] = []
        self.deliveries: list[WebhookDelivery] = []
        self.last_customer_message: dict[str, datetime] = {}
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._http = httpx.AsyncClient(timeout=10.0)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        await self._http.aclose()

    @property
    def base_url(self) -> str:
        """What ``WHATSAPP_API_BASE_URL`` should be."""
        return f"http://127.0.0.1:{self.port}/{API_VERSION}"

    def add_routes(self, app: web.Application) -> None:
        """The Cloud API's send route."""
        app.router.add_post(f"/{API_VERSION}/{{phone_number_id}}/messages", self._messages)

    # --- the business side: what Lipa sent -----------------------------------------------

    def fail_next(self, code: int, *, to: str | None = None, times: int = 1) -> None:
        """Refuse the next ``times`` sends (to ``to``, or anyone) with WhatsApp's error ``code``."""
        self._failures.append(_Failure(code, to, times))

    def sent_to(self, wa_id: str) -> list[SentWhatsApp]:
        """The accepted messages to ``wa_id``, oldest first."""
        return [message for message in self.sent if message.to == wa_id]

    async def wait_for_message_to(
        self,
        wa_id: str,
        contains: str = "",
        timeout: float = 10.0,  # noqa: ASYNC109 - like asyncio.wait_for
        *,
        after: int = 0,
    ) -> SentWhatsApp:
        """Wait for an accepted message to ``wa_id`` containing ``contains``.

        Only messages from the ``after``-th to the customer on count.
        """

        def found() -> SentWhatsApp | None:
            return next((m for m in self.sent_to(wa_id)[after:] if contains in m.text), None)

        try:
            async with asyncio.timeout(timeout), self._changed:
                while (message := found()) is None:
                    await self._changed.wait()
        except TimeoutError:
            seen = [m.text for m in self.sent_to(wa_id)]
            raise AssertionError(f"no message with {contains!r} to {wa_id}; sent: {seen}") from None
        return message

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _error(190)
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return _error(131009, "unknown phone number id")
        try:
            body = await request.json()
        except ValueError:
            return _error(131009, "not JSON")
        to = str(body.get("to", ""))
        problems = limit_violations(body, self.templates)
        if problems:
            self.violations.extend(f"to {to}: {problem}" for problem in problems)
            self.refused.append(Refusal(to, 131009, body))
            return _error(131009, "; ".join(problems))
        failure = self._take_failure(to)
        if failure is not None:
            self.refused.append(Refusal(to, failure, body))
            return _error(failure)
        if body.get("type") != "template" and not self._in_window(to):
            self.refused.append(Refusal(to, 131047, body))
            return _error(131047)
        message = SentWhatsApp(f"wamid.FAKE{next(self._ids):010d}", to, body)
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message.message_id}],
            }
        )

    def _take_failure(self, to: str) -> int | None:
        for failure in self._failures:
            if failure.to in (None, to):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure.code
        return None

    def _in_window(self, wa_id: str) -> bool:
        last = self.last_customer_message.get(wa_id)
        return last is not None and self.clock() - last < WINDOW

    # --- the customer side: webhooks to Lipa -----------------------------------------------

    def customer_wrote_at(self, wa_id: str, when: datetime) -> None:
        """Pretend the customer's latest message was at ``when`` (to open or close the window)."""
        self.last_customer_message[wa_id] = when

    async def customer_sends_text(self, wa_id: str, text: str) -> WebhookDelivery:
        """The customer types ``text``."""
        return await self._customer_sends(wa_id, {"type": "text", "text": {"body": text}})

    async def customer_chooses(self, wa_id: str, choice_id: str) -> WebhookDelivery:
        """The customer taps the reply button or list row with ``choice_id`` in their latest
        message offering it (it must have been offered)."""
        offered = next(
            (m for m in reversed(self.sent_to(wa_id)) if choice_id in m.choice_ids), None
        )
        if offered is None:
            raise AssertionError(f"{choice_id!r} was never offered to {wa_id}")
        title = dict(offered.choices)[choice_id]
        kind = offered.body["interactive"]["type"]
        reply = "button_reply" if kind == "button" else "list_reply"
        interactive = {"type": reply, reply: {"id": choice_id, "title": title}}
        return await self._customer_sends(
            wa_id,
            {
                "type": "interactive",
                "interactive": interactive,
                "context": {"id": offered.message_id},
            },
        )

    async def customer_shares_contact(
        self, wa_id: str, phone: str, contact_wa_id: str | None = None
    ) -> WebhookDelivery:
        """The customer shares a contact card (their own when ``contact_wa_id`` is theirs)."""
        number: dict[str, Any] = {"phone": phone, "type": "CELL"}
        if contact_wa_id is not None:
            number["wa_id"] = contact_wa_id
        contact = {
            "name": {"formatted_name": "Contact", "first_name": "Contact"},
            "phones": [number],
        }
        return await self._customer_sends(wa_id, {"type": "contacts", "contacts": [contact]})

    async def report_status(
        self, message_id: str, status: str, *, error_code: int | None = None
    ) -> WebhookDelivery:
        """WhatsApp reports what became of a message it accepted."""
        sent = next(message for message in self.sent if message.message_id == message_id)
        raw: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.clock().timestamp())),
            "recipient_id": sent.to,
        }
        if error_code is not None:
            _http, title, details = ERRORS.get(error_code, (400, "Error", ""))
            raw["errors"] = [
                {"code": error_code, "title": title, "error_data": {"details": details}}
            ]
        return await self.deliver(self._envelope({"statuses": [raw]}))

    async def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """POST the very same body again, as WhatsApp does when it thinks it was not taken."""
        return await self.deliver_raw(delivery.body, message_id=delivery.message_id)

    async def deliver(
        self, update: dict[str, Any], *, message_id: str | None = None
    ) -> WebhookDelivery:
        """POST an update, signed."""
        return await self.deliver_raw(json.dumps(update).encode(), message_id=message_id)

    async def deliver_raw(
        self,
        body: bytes,
        *,
        signature: str | bool | None = True,
        message_id: str | None = None,
    ) -> WebhookDelivery:
        """POST ``body``; ``signature`` True signs it, a string is sent as given, None omits it."""
        if self.webhook_url is None:
            raise AssertionError("set webhook_url first")
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers["X-Hub-Signature-256"] = sign(self.app_secret, body)
        elif isinstance(signature, str):
            headers["X-Hub-Signature-256"] = signature
        answer = await self._http.post(self.webhook_url, content=body, headers=headers)
        delivery = WebhookDelivery(body, answer.status_code, message_id)
        self.deliveries.append(delivery)
        return delivery

    async def _customer_sends(self, wa_id: str, content: dict[str, Any]) -> WebhookDelivery:
        now = self.clock()
        message_id = f"wamid.IN{next(self._ids):010d}"
        message = {"from": wa_id, "id": message_id, "timestamp": str(int(now.timestamp()))}
        message.update(content)
        self.last_customer_message[wa_id] = now
        value = {
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": wa_id}],
            "messages": [message],
        }
        return await self.deliver(self._envelope(value), message_id=message_id)

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "254700000000",
                "phone_number_id": self.phone_number_id,
            },
            **value,
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA-FAKE", "changes": [{"value": value, "field": "messages"}]}],
        }
