"""Limits on what one client can hold of the server: time to send a body, requests at once.

A client that sends its headers and then its body a byte at a time would otherwise hold a
connection (and a handler) for as long as it likes; a few hundred such clients hold the
server. So every request's body must arrive within ``body_seconds`` of its headers (else 408
and the connection is closed), and one address has at most ``per_address`` requests in
progress at once (more get 429 and a closed connection). The address is the one
:class:`~webhook.mpesa.SourceCheck` reads: the peer, or behind a reverse proxy the proxy's
trusted header.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

BODY_SECONDS: Final = 10.0  # a callback, update or USSD form is a few KB: under a second
PER_ADDRESS: Final = 100  # Telegram alone opens up to 40 webhook connections; gateways more
_MULTIPART: Final = "multipart/form-data"


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """How long a body may take to arrive, and how many requests one address may have open."""

    body_seconds: float = BODY_SECONDS
    per_address: int = PER_ADDRESS


def client_limits_middleware(
    limits: ClientLimits, caller: Callable[[web.Request], str | None]
) -> Middleware:
    """The middleware enforcing ``limits``; ``caller`` names a request's client address."""
    in_progress: Counter[str] = Counter()

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        address = caller(request) or "unknown"
        if in_progress[address] >= limits.per_address:
            log.warning(
                "%s already has %d requests in progress; refused another",
                address,
                limits.per_address,
            )
            return await _answer_and_close(request, 429, "Too many requests at once")
        in_progress[address] += 1
        try:
            if request.content_type == _MULTIPART:
                # Parsed as it streams in: the handler itself runs under the deadline.
                async with asyncio.timeout(limits.body_seconds):
                    return await handler(request)
            if request.body_exists:
                # Read (and cached for the handler) before the handler runs.
                async with asyncio.timeout(limits.body_seconds):
                    await request.read()
        except TimeoutError:
            log.warning("%s did not send its request in %g s", address, limits.body_seconds)
            return await _answer_and_close(request, 408, "Request body too slow")
        else:
            return await handler(request)
        finally:
            in_progress[address] -= 1
            if not in_progress[address]:
                del in_progress[address]

    return limit


async def _answer_and_close(request: web.Request, status: int, text: str) -> web.Response:
    """Send a refusal, then close the connection at once.

    aiohttp would otherwise keep reading ("lingering on") the unread body for up to ten
    seconds after the answer, which is what the client is drip-feeding.
    """
    response = web.Response(status=status, text=text, headers={"Connection": "close"})
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # the answer is written: the transport flushes it first
    return response
