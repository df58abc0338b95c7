"""An httpx transport on aiohttp: httpx's API and error tree, aiohttp's cheaper requests.

httpx's own transport (httpcore on anyio) costs about 1.5 ms of CPU per request on a small
machine, as much as the rest of a checkout's database work; aiohttp's client costs a third of
that. The Daraja client keeps speaking httpx (its tests use ``httpx.MockTransport``), and this
transport maps aiohttp's failures onto httpx's so that the one distinction that matters for
money stays exact: a failure *before* the request was sent (the only kind after which a push
may be sent again) is ``ConnectError``/``ConnectTimeout``; anything later is an error whose
outcome is unknown (``ReadTimeout``, ``RemoteProtocolError``, ``ReadError``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import aiohttp
import httpx

# Hop-by-hop and framing headers aiohttp sets itself; Accept-Encoding is aiohttp's own so
# that it can decode every encoding it asks for.
_REQUEST_HEADERS_LEFT_TO_AIOHTTP = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
)
# The body handed to httpx is already decoded.
_RESPONSE_HEADERS_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise aiohttp's errors as the httpx errors that say whether the request left."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as error:  # no connection within the time: not sent
        raise httpx.ConnectTimeout(str(error) or "connect timeout", request=request) from error
    except aiohttp.ClientConnectorError as error:  # refused, unreachable, DNS: not sent
        raise httpx.ConnectError(str(error), request=request) from error
    except aiohttp.SocketTimeoutError as error:  # sent, no answer in time: outcome unknown
        raise httpx.ReadTimeout(str(error) or "read timeout", request=request) from error
    except TimeoutError as error:  # any other timeout: assume it may have been sent
        raise httpx.ReadTimeout(str(error) or "timeout", request=request) from error
    except aiohttp.ServerDisconnectedError as error:  # the server hung up on the request
        raise httpx.RemoteProtocolError(str(error), request=request) from error
    except aiohttp.ClientError as error:  # anything else once connected: outcome unknown
        raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error


def client_timeout(timeouts: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
    """httpx's timeouts (``Timeout.as_dict()``, or a request's ``timeout`` extension) as
    aiohttp's: no overall limit, as httpx has none."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeouts.get("pool"),  # waiting for a pooled connection, and connecting
        sock_connect=timeouts.get("connect"),
        sock_read=timeouts.get("read"),
    )


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one aiohttp session (opened on first use, in the loop).

    Redirects are never followed here (httpx decides that), timeouts come from the request
    (httpx's connect, read and pool timeouts), and the connection pool honours the limits.
    Not for use behind a proxy: :func:`daraja.transport.build_http_client` keeps httpx's own
    transport when the environment names one.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The pool's session, opened on first use (in the running loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request and read its whole answer."""
        timeout = client_timeout(request.extensions.get("timeout", {}))
        headers = [
            (name, value)
            for name, value in request.headers.multi_items()
            if name.lower() not in _REQUEST_HEADERS_LEFT_TO_AIOHTTP
        ]
        body = await request.aread()
        with _as_httpx_errors(request):
            async with self.session().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            ) as answer:
                content = await answer.read()
        return httpx.Response(
            status_code=answer.status,
            headers=[
                (name, value)
                for name, value in answer.raw_headers
                if name.decode("latin-1").lower() not in _RESPONSE_HEADERS_DROPPED
            ],
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


class AiohttpForms:
    """Posts forms to one API through one aiohttp session, without httpx's client around them.

    For a client whose every request is one form POST to a fixed base URL (the SMS API's):
    what httpx's client does per request (merging the URL, building the request, cookies,
    the auth and redirect steps) cost the outbox about as much CPU as the aiohttp request
    itself. The answer is still an ``httpx.Response``, the failures the same httpx errors
    as :class:`AiohttpTransport` raises, timeouts and limits are httpx's, and redirects are
    never followed. ``headers`` go with every request, under each request's own.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout,
        limits: httpx.Limits,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._pool = AiohttpTransport(limits)  # its session, opened on first use, in the loop
        self._headers = dict(headers or {})
        self._timeout = client_timeout(timeout.as_dict())

    async def post(
        self, path: str, *, data: dict[str, str], headers: dict[str, str]
    ) -> httpx.Response:
        """POST ``data`` as a form to ``path``; the whole answer, or an httpx error."""
        url = self._base + path
        try:
            async with self._pool.session().post(
                url,
                data=data,
                headers={**self._headers, **headers},
                allow_redirects=False,
                timeout=self._timeout,
            ) as answer:
                content = await answer.read()
                status = answer.status
                content_type = answer.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError) as error:
            # Built only on failure: the error names the request, as httpx's do.
            with _as_httpx_errors(httpx.Request("POST", url)):
                raise error
        response_headers = {"Content-Type": content_type} if content_type else None
        return httpx.Response(status, headers=response_headers, content=content)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        await self._pool.aclose()
