"""A local fake of the WhatsApp Business Cloud API, strict about WhatsApp's rules.

``FakeWhatsApp`` serves ``POST /v21.0/{phone-number-id}/messages`` on a real socket, with the
bearer token checked. Every send is checked against WhatsApp's limits (reply buttons: at most
3, titles at most 20 characters, unique ids at most 256; lists: at most 10 rows, titles at
most 24, descriptions at most 72, a button label at most 20; interactive bodies at most
1,024 characters, texts at most 4,096; templates approved, in an approved language, with
parameters free of line breaks, tabs and runs of spaces): a send that breaks one is refused
with WhatsApp's error 131009 and written to ``violations``, which tests check is empty. A
free-form message to a customer whose last message is more than 24 hours old (or who never
wrote) is refused with 131047, as WhatsApp does; templates go at any time.

``fail_next`` makes coming sends fail with WhatsApp's error shapes (130429, 131056, 131026,
...). The customer's side sends webhooks to Lipa, signed with ``X-Hub-Signature-256`` (the
HMAC-SHA256 of the raw body under the app secret): texts, button and list presses, shared
contacts, and statuses of the messages the fake accepted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final

import httpx
from aiohttp import web

from lipa_testing.local_server import LocalServer

API_VERSION: Final = "v21.0"
DEFAULT_PHONE_NUMBER_ID: Final = "109876543210"
DEFAULT_ACCESS_TOKEN: Final = "EAAG-fake-whatsapp-access-token-for-lipa-tests"
DEFAULT_APP_SECRET: Final = "fake-whatsapp-app-secret-for-lipa-tests"
DEFAULT_VERIFY_TOKEN: Final = "fake-whatsapp-verify-token-for-lipa-tests"
# Approved templates: name → the language codes they were approved in.
DEFAULT_TEMPLATES: Final = {
    "payment_result": frozenset({"en", "sw"}),
    "installment_reminder": frozenset({"en", "sw"}),
}
WINDOW: Final = timedelta(hours=24)

ERRORS: Final[dict[int, tuple[int, str, str]]] = {
    # code: (HTTP status, message, details)
    130429: (400, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient.",
    ),
    131026: (400, "(#131026) Message Undeliverable", "Message undeliverable."),
    131047: (
        400,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131009: (400, "(#131009) Parameter value is not valid", ""),
    132001: (404, "(#132001) Template name does not exist in the translation", ""),
    190: (401, "Error validating access token: Session has expired", ""),
    131000: (500, "(#131000) Something went wrong", ""),
}


@dataclass(frozen=True, slots=True)
class SentWhatsApp:
    """A message the fake accepted."""

    message_id: str
    to: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        """``text``, ``interactive`` or ``template``."""
        return str(self.body.get("type"))

    @property
    def text(self) -> str:
        """What the customer reads: the text, the interactive body, or the template's words."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        components = self.body.get("template", {}).get("components", [])
        return " ".join(
            str(parameter.get("text", ""))
            for component in components
            for parameter in component.get("parameters", [])
        )

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row."""
        if self.type != "interactive":
            return []
        interactive = self.body["interactive"]
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
        return [
            (row["id"], row["title"])
            for section in action.get("sections", [])
            for row in section.get("rows", [])
        ]

    @property
    def choice_ids(self) -> list[str]:
        """The ids (the flow's callback data) of the choices."""
        return [choice_id for choice_id, _ in self.choices]

    @property
    def choice_titles(self) -> list[str]:
        """The titles the customer sees on the choices."""
        return [title for _, title in self.choices]

    @property
    def template_name(self) -> str | None:
        """The template's name, for a template message."""
        return str(self.body["template"]["name"]) if self.type == "template" else None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A webhook the fake POSTed: its raw body and the answer's status."""

    body: bytes
    status: int
    message_id: str | None = None


@dataclass
class _Failure:
    code: int
    to: str | None
    times: int


@dataclass
class Refusal:
    """A send the fake refused, and why."""

    to: str
    code: int
    body: dict[str, Any] = field(default_factory=dict)


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


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header WhatsApp sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _error(code: int, details: str | None = None) -> web.Response:
    status, message, default_details = ERRORS.get(code, (400, f"(#{code}) Error", ""))
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {
                    "messaging_product": "whatsapp",
                    "details": details or default_details,
                },
                "fbtrace_id": "AFakeTraceId",
            }
        },
        status=status,
    )


_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


def limit_violations(body: Any, templates: dict[str, frozenset[str]]) -> list[str]:
    """Every way ``body`` breaks WhatsApp's rules for a send (empty: it is a valid send)."""
    if not isinstance(body, dict):
        return ["the body is not an object"]
    problems: list[str] = []
    if body.get("messaging_product") != "whatsapp":
        problems.append("messaging_product must be 'whatsapp'")
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit():
        problems.append(f"'to' must be digits, not {to!r}")
    kind = body.get("type")
    if kind == "text":
        text = body.get("text", {}).get("body")
        problems += _length("text body", text, 4096)
    elif kind == "interactive":
        problems += _interactive(body.get("interactive"))
    elif kind == "template":
        problems += _template(body.get("template"), templates)
    else:
        problems.append(f"unsupported type {kind!r}")
    return problems


def _length(what: str, value: Any, limit: int, *, minimum: int = 1) -> list[str]:
    if not isinstance(value, str):
        return [f"{what} missing"]
    if not minimum <= len(value) <= limit:
        return [f"{what} has {len(value)} characters (allowed {minimum} to {limit}): {value!r}"]
    return []


def _interactive(interactive: Any) -> list[str]:
    if not isinstance(interactive, dict):
        return ["interactive missing"]
    problems = _length("interactive body", interactive.get("body", {}).get("text"), 1024)
    action = interactive.get("action", {})
    kind = interactive.get("type")
    if kind == "button":
        buttons = action.get("buttons", [])
        if not 1 <= len(buttons) <= 3:
            problems.append(f"{len(buttons)} reply buttons (allowed 1 to 3)")
        ids = [button.get("reply", {}).get("id") for button in buttons]
        for button in buttons:
            reply = button.get("reply", {})
            problems += _length("button title", reply.get("title"), 20)
            problems += _length("button id", reply.get("id"), 256)
        if len(set(ids)) != len(ids):
            problems.append("button ids are not unique")
    elif kind == "list":
        problems += _length("list button", action.get("button"), 20)
        sections = action.get("sections", [])
        rows = [row for section in sections for row in section.get("rows", [])]
        if not 1 <= len(rows) <= 10:
            problems.append(f"{len(rows)} list rows (allowed 1 to 10)")
        for section in sections:
            if len(sections) > 1 or "title" in section:
                problems += _length("section title", section.get("title"), 24)
        for row in rows:
            problems += _length("row title", row.get("title"), 24)
            problems += _length("row id", row.get("id"), 200)
            if "description" in row:
                problems += _length("row description", row.get("description"), 72)
        ids = [row.get("id") for row in rows]
        if len(set(ids)) != len(ids):
            problems.append("row ids are not unique")
    else:
        problems.append(f"unsupported interactive type {kind!r}")
    return problems


def _template(template: Any, templates: dict[str, frozenset[str]]) -> list[str]:
    if not isinstance(template, dict):
        return ["template missing"]
    name = template.get("name")
    language = template.get("language", {}).get("code")
    if name not in templates:
        return [f"template {name!r} is not approved"]
    if language not in templates[name]:
        return [f"template {name!r} is not approved in {language!r}"]
    problems: list[str] = []
    for component in template.get("components", []):
        for parameter in component.get("parameters", []):
            text = parameter.get("text")
            problems += _length("template parameter", text, 1024)
            if isinstance(text, str) and _BAD_PARAMETER.search(text):
                problems.append("a template parameter has a line break, tab or 5+ spaces")
    return problems
