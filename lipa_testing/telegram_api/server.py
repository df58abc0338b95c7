"""The HTTP server: starting and stopping it, the route table, and how each request is
answered (token check, injected faults, parameters, the method, the JSON answer).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import ClientSession, ClientTimeout, web

from lipa_testing.telegram_api.params import _ApiError, _Described, _Params
from lipa_testing.telegram_api.records import JSONDict
from lipa_testing.telegram_api.updates import _Updates

_TOKEN_RE: Final = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,80}")
_UPLOAD_LIMIT: Final = 50 * 1024 * 1024


class _Server(_Updates):
    """Listening, routing requests to the methods and answering them as the Bot API does."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; see `port`)."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        app = web.Application(client_max_size=_UPLOAD_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._site, self._host = runner, site, host
        self._port = int(runner.addresses[0][1])
        self._session = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))
        self._updates_event = asyncio.Event()
        self._closing = False

    async def stop(self) -> None:
        """Stop listening, end pending long polls and fail pending waiters. Idempotent."""
        self._closing = True
        self._wake_pollers()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(RuntimeError("FakeTelegram stopped"))
        self._waiters.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @functools.cached_property
    def _handlers(self) -> dict[str, tuple[str, Callable[[_Params], Awaitable[Any]]]]:
        """The Bot API methods the fake implements, by lowercased name (names are
        case-insensitive): their spelling in the API and their handler.
        """
        return {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getFile": self._get_file,
                "close": self._close,
                "logOut": self._log_out,
            }.items()
        }

    def _respond(self, status: int, payload: JSONDict) -> web.Response:
        self.responses_by_status[status] += 1
        if status == 429:
            self.too_many_requests += 1
        return web.Response(
            status=status,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/json",
        )

    def _error(self, error: _ApiError) -> web.Response:
        payload: JSONDict = {
            "ok": False,
            "error_code": error.code,
            "description": error.description,
        }
        if error.retry_after is not None:
            payload["parameters"] = {"retry_after": error.retry_after}
        return self._respond(error.code, payload)

    def _token_error(self, token: str) -> _ApiError | None:
        if token == self.token:
            return None
        if _TOKEN_RE.fullmatch(token):
            return _ApiError(401, "Unauthorized")
        return _ApiError(404, "Not Found")

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._error(_ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self._down == "502":
            return self._error(_ApiError(502, "Bad Gateway"))
        token_error = self._token_error(request.match_info["token"])
        if token_error is not None:
            return self._error(token_error)
        entry = self._handlers.get(request.match_info["method"].lower())
        if entry is None:
            self.requests_by_method[request.match_info["method"]] += 1
            return self._error(_ApiError(404, "Not Found"))
        name, handler = entry
        self.requests_by_method[name] += 1
        if self._faults:
            fault = self._injected_fault(name)
            if fault is not None:
                return self._error(fault)
        try:
            params = await self._read_params(request)
            result = await handler(params)
        except _ApiError as error:
            return self._error(error)
        if isinstance(result, _Described):
            return self._respond(
                200, {"ok": True, "result": result.result, "description": result.description}
            )
        return self._respond(200, {"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> _Params:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, web.FileField] = {}
        if request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _ApiError(400, "Bad Request: can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _ApiError(400, "Bad Request: JSON request body must be an object")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value
                    else:
                        raw[key] = value
        return _Params(raw, files)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self._down == "502":
            return self._error(_ApiError(502, "Bad Gateway"))
        if request.match_info["token"] != self.token:
            return self._error(_ApiError(404, "Not Found"))
        uploaded = self._files_by_path.get(request.match_info["path"])
        if uploaded is None:
            return self._error(_ApiError(404, "Not Found"))
        return web.Response(
            body=uploaded.data, content_type=uploaded.mime_type or "application/octet-stream"
        )
