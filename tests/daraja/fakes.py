"""Helpers for the Daraja tests: a scripted Daraja behind httpx.MockTransport, a clock that
moves when told, and a callback receiver on a real socket."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from aiohttp import web

SHORTCODE = "174379"
PASSKEY = "test-passkey-do-not-log"
CONSUMER_SECRET = "test-consumer-secret-do-not-log"
CALLBACK_URL = "https://lipa.example.com/mpesa/callback/s3cret"

TOKEN_PATH = "/oauth/v1/generate"
PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
QUERY_PATH = "/mpesa/stkpushquery/v1/query"

# A scripted answer: a response, an exception to raise, or a function of the request.
Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def daraja_error(status: int, code: str, message: str, request_id: str = "req-1") -> httpx.Response:
    """Return Daraja's error answer shape."""
    return httpx.Response(
        status, json={"requestId": request_id, "errorCode": code, "errorMessage": message}
    )


def query_answer(result_code: str, desc: str = "whatever the text") -> httpx.Response:
    """Return a final (or 4999) STK Push Query answer; codes are strings, as Daraja sends."""
    return httpx.Response(
        200,
        json={
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": "m-q",
            "CheckoutRequestID": "ws_CO_1",
            "ResultCode": result_code,
            "ResultDesc": desc,
        },
    )


class FakeDaraja:
    """A small Daraja: issues tokens (a new one invalidates the old), checks them, and answers
    pushes and queries from scripted queues, or with a plain success when nothing is queued."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_answers: deque[Answer] = deque()
        self.push_answers: deque[Answer] = deque()
        self.query_answers: deque[Answer] = deque()
        # Answers for any other path (C2B, Pull, initiator calls), queued per path.
        self.answers: dict[str, deque[Answer]] = {}
        self.expires_in: Any = "3599"
        self.token_delay = 0.0
        self.answer_delay = 0.0  # before answering a push or query, to let callers overlap
        self._issued = 0
        self._valid: str | None = None

    def transport(self) -> httpx.MockTransport:
        """Return a transport routing requests to this fake."""
        return httpx.MockTransport(self.handle)

    def revoke(self) -> None:
        """Invalidate the current token, as a token issued to another process would."""
        self._valid = None

    def count(self, path: str) -> int:
        """Return how many requests reached ``path``."""
        return sum(1 for request in self.requests if request.url.path == path)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """Return the JSON bodies sent to ``path``."""
        return [json.loads(r.content) for r in self.requests if r.url.path == path]

    @staticmethod
    def _play(answer: Answer, request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        path = request.url.path
        if path == TOKEN_PATH:
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            if self.token_answers:
                return self._play(self.token_answers.popleft(), request)
            self._issued += 1
            self._valid = f"token-{self._issued}"
            return httpx.Response(
                200, json={"access_token": self._valid, "expires_in": self.expires_in}
            )
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if request.headers.get("Authorization") != f"Bearer {self._valid}":
            return daraja_error(404, "404.001.03", "Invalid Access Token")
        if path == PUSH_PATH:
            if self.push_answers:
                return self._play(self.push_answers.popleft(), request)
            number = self.count(PUSH_PATH)
            return httpx.Response(
                200,
                json={
                    "MerchantRequestID": f"m-{number}",
                    "CheckoutRequestID": f"ws_CO_{number}",
                    "ResponseCode": "0",
                    "ResponseDescription": "Success. Request accepted for processing",
                    "CustomerMessage": "Success. Request accepted for processing",
                },
            )
        if path == QUERY_PATH:
            if self.query_answers:
                return self._play(self.query_answers.popleft(), request)
            return query_answer("0")
        queued = self.answers.get(path)
        if queued:
            return self._play(queued.popleft(), request)
        return httpx.Response(404)

    def answer(self, path: str, *answers: Answer) -> None:
        """Queue ``answers`` for the next requests to ``path``."""
        self.answers.setdefault(path, deque()).extend(answers)


class CallbackReceiver:
    """A small aiohttp server that records every callback POSTed to it."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.status = 200
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _callback(self, request: web.Request) -> web.Response:
        self.received.put_nowait((request.headers.get("Content-Type", ""), await request.read()))
        return web.json_response({"ResultCode": 0, "ResultDesc": "Accepted"}, status=self.status)

    async def start(self) -> None:
        """Listen on a free port."""
        app = web.Application()
        app.router.add_post("/mpesa/callback/{secret}", self._callback)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/mpesa/callback/s3cret"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def next(self) -> tuple[str, bytes]:
        """Return the next callback's Content-Type and body, waiting at most 3 seconds."""
        async with asyncio.timeout(3):
            return await self.received.get()


class HookReceiver:
    """Lipa's side of C2B and the initiator calls, on a real socket: records every POST to
    ``/hooks/<kind>/<secret>`` and answers from ``answers[kind]`` (after ``delays[kind]``)."""

    def __init__(self) -> None:
        self.received: dict[str, asyncio.Queue[Any]] = {}
        self.answers: dict[str, Any] = {}
        self.delays: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self.base = ""

    def queue(self, kind: str) -> asyncio.Queue[Any]:
        """The bodies POSTed to ``kind``, as JSON."""
        return self.received.setdefault(kind, asyncio.Queue())

    def url(self, kind: str) -> str:
        """The URL of ``kind`` (c2b-confirm, c2b-validate, result, timeout...)."""
        return f"{self.base}/hooks/{kind}/s3cret"

    async def _hook(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        self.queue(kind).put_nowait(json.loads(await request.read()))
        if kind in self.delays:
            await asyncio.sleep(self.delays[kind])
        return web.json_response(self.answers.get(kind, {"ResultCode": 0, "ResultDesc": "ok"}))

    async def start(self) -> None:
        """Listen on a free port."""
        app = web.Application()
        app.router.add_post("/hooks/{kind}/{secret}", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def next(self, kind: str, seconds: float = 3.0) -> Any:
        """The next body POSTed to ``kind``, waiting at most ``seconds``."""
        async with asyncio.timeout(seconds):
            return await self.queue(kind).get()
