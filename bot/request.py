"""python-telegram-bot's HTTP layer on aiohttp, the HTTP library the rest of Lipa serves with.

PTB's default :class:`telegram.request.HTTPXRequest` costs about 2 ms of CPU per Bot API call
(httpcore checks every pooled connection on every request); this one about 0.5 ms, which is
most of what a checkout costs. Errors map to PTB's own: a timeout is
:class:`telegram.error.TimedOut`, any other transport failure
:class:`telegram.error.NetworkError`, so callers see the same exceptions as with HTTPXRequest.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

StatusHook = Callable[[int], None]

# The Bot API methods whose ``text`` or ``caption`` a person reads.
_TEXT_METHODS = {
    "sendMessage": "text",
    "editMessageText": "text",
    "sendPhoto": "caption",
    "sendDocument": "caption",
}


def _seconds(value: Any, default: float | None) -> float | None:
    """A timeout PTB passed: a number, None (no limit), or its "use the default" marker."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return default


class AiohttpRequest(BaseRequest):
    """Sends Bot API requests on one pooled :class:`aiohttp.ClientSession`.

    ``on_status`` is told the HTTP status of every answer (e.g. to count 429s). Requests
    without files are sent as JSON; requests with files as multipart form data.

    ``text_mark`` is put in front of every text and caption sent (``[SIMULATED] `` when no
    money moves): every message to a customer or to staff leaves through here, so it is
    marked here once, whichever handler or outbox sender wrote it.
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = 64,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 15.0,
        pool_timeout: float | None = 15.0,
        on_status: StatusHook | None = None,
        text_mark: str = "",
    ) -> None:
        self._text_mark = text_mark
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._on_status = on_status
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    def _proxy(self, url: str) -> str | None:
        """The proxy for ``url`` from HTTP(S)_PROXY and NO_PROXY, as HTTPXRequest honours them.

        Looked up once per host: aiohttp's own ``trust_env`` reads the environment and
        ``~/.netrc`` in a thread on every request.
        """
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies_environment()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            if proxy and urllib.request.proxy_bypass(key[1]):
                proxy = None
            self._proxies[key] = proxy
        return self._proxies[key]

    async def shutdown(self) -> None:
        """Close the connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _marked(self, url: str, parameters: dict[str, str]) -> dict[str, str]:
        field = _TEXT_METHODS.get(url.rsplit("/", 1)[-1]) if self._text_mark else None
        text = parameters.get(field) if field is not None else None
        if field is None or text is None or text.startswith(self._text_mark):
            return parameters
        return {**parameters, field: self._text_mark + text}

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # Typed loosely: PTB's own type for these (ODVInput) lives in a private module.
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return its HTTP status and body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, self._connect_timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            # aiohttp's ``connect`` covers waiting for a pooled connection and connecting.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            parameters = self._marked(url, request_data.json_parameters)
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime_type) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime_type)
                data = form
            else:
                data = json.dumps(parameters).encode()
                headers = {"Content-Type": "application/json"}
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as answer:
                status, payload = answer.status, await answer.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
        if self._on_status is not None:
            self._on_status(status)
        return status, payload
