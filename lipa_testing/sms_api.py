"""A local fake of Africa's Talking's SMS API, for tests: records messages, can fail or go down.

``FakeSmsApi`` serves ``POST /version1/messaging`` on a real socket, as Africa's Talking does:
a form with ``username, to, message`` (and ``from``), the ``apiKey`` header, a JSON answer
``{"SMSMessageData": {"Message": ..., "Recipients": [{"statusCode", "status", "number",
"messageId", "cost"}]}}`` with HTTP 201. Wrong credentials get HTTP 401 with a plain-text body.
``go_down`` makes it answer 503 (a gateway outage) or refuse connections; ``status_for`` makes
one number's recipient status a failure code (e.g. 403 InvalidPhoneNumber); ``answer_after``
holds every request until an event is set.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Final, Literal

from aiohttp import web

from lipa_testing.local_server import LocalServer

MESSAGING_PATH: Final = "/version1/messaging"
DEFAULT_USERNAME: Final = "sandbox"
DEFAULT_API_KEY: Final = "atsk_fake_key_for_lipa_tests_0123456789"

# Africa's Talking's recipient status names, by code.
STATUS_NAMES: Final = {
    100: "Processed",
    101: "Success",
    102: "Queued",
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """A message the fake accepted."""

    to: str
    message: str
    sender: str | None
    username: str
    message_id: str


class FakeSmsApi(LocalServer):
    """Africa's Talking's SMS API on ``127.0.0.1``; ``messages`` holds what it accepted."""

    def __init__(self, *, username: str = DEFAULT_USERNAME, api_key: str = DEFAULT_API_KEY) -> None:
        super().__init__()
        self.username = username
        self.api_key = api_key
        self.messages: list[ReceivedSms] = []
        self.requests = 0  # every POST, accepted or not
        self.status_for: dict[str, int] = {}  # "+2547..." → the recipient status code to answer
        # When given, each request waits until this event is set (a slow gateway).
        self.answer_after: asyncio.Event | None = None
        self._down: Literal["503", "refuse"] | None = None
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    @property
    def base_url(self) -> str:
        """What ``AT_API_BASE_URL`` should be."""
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        """Africa's Talking's messaging route."""
        app.router.add_post(MESSAGING_PATH, self._messaging)

    async def go_down(self, mode: Literal["503", "refuse"] = "503") -> None:
        """Fail every request: answer 503, or stop listening so connections are refused."""
        self._down = mode
        if mode == "refuse":
            await self.stop()

    async def come_back(self) -> None:
        """Answer normally again."""
        if self._down == "refuse":
            await self.start()
        self._down = None

    def messages_to(self, phone: str) -> list[ReceivedSms]:
        """The accepted messages to ``phone`` (``+2547…``), oldest first."""
        return [message for message in self.messages if message.to == phone]

    async def wait_for(
        self,
        phone: str,
        contains: str = "",
        timeout: float = 10.0,  # noqa: ASYNC109 - like asyncio.wait_for
    ) -> ReceivedSms:
        """Wait for an accepted message to ``phone`` containing ``contains``."""

        def found() -> ReceivedSms | None:
            return next((m for m in self.messages_to(phone) if contains in m.message), None)

        async with asyncio.timeout(timeout), self._changed:
            while (message := found()) is None:
                await self._changed.wait()
        return message

    async def _messaging(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.answer_after is not None:
            await self.answer_after.wait()
        if self._down == "503":
            return web.Response(status=503, text="<html>Service Unavailable</html>")
        form = await request.post()
        if request.headers.get("apiKey") != self.api_key or form.get("username") != self.username:
            return web.Response(status=401, text="The supplied authentication is invalid")
        to, message = form.get("to"), form.get("message")
        if not isinstance(to, str) or not isinstance(message, str) or not to or not message:
            return web.Response(status=400, text="Request is missing required form field 'to'")
        sender = form.get("from")
        code = self.status_for.get(to, 101)
        message_id = f"ATXid_{next(self._ids):08d}" if code in (100, 101, 102) else "None"
        recipient = {
            "statusCode": code,
            "number": to,
            "status": STATUS_NAMES.get(code, "Failed"),
            "cost": "KES 0.8000" if code == 101 else "0",
            "messageId": message_id,
        }
        if code in (100, 101, 102):
            async with self._changed:
                self.messages.append(
                    ReceivedSms(
                        to=to,
                        message=message,
                        sender=sender if isinstance(sender, str) else None,
                        username=self.username,
                        message_id=message_id,
                    )
                )
                self._changed.notify_all()
        sent = 1 if code in (100, 101, 102) else 0
        body = {
            "SMSMessageData": {
                "Message": f"Sent to {sent}/1 Total Cost: KES {0.8 * sent:.4f}",
                "Recipients": [recipient],
            }
        }
        return web.json_response(body, status=201)
