"""What keeps the pages safe: form tokens, a request limit per address, security headers.

Form tokens (CSRF): each page carries ``<issued>.<HMAC(secret, reference|issued)>``; a post
is taken only with a token made for that order's page within :data:`FORM_LIFETIME`. No
cookie is needed, and the secret never leaves this module.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

FORM_LIFETIME: Final = 2 * 60 * 60  # seconds a page's form stays valid
# No script or style from anywhere but this server, no inline script, no framing.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class FormTokens:
    """Issues and checks the per-page form tokens."""

    def __init__(self, secret: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"lipa-web-form|" + secret).digest()
        self._clock = clock

    def issue(self, reference: str) -> str:
        """A token for a page of the order ``reference``."""
        issued = int(self._clock())
        return f"{issued}.{self._sign(reference, issued)}"

    def check(self, reference: str, token: str) -> bool:
        """Whether ``token`` was issued for ``reference`` and has not expired."""
        issued_text, _, signature = token.partition(".")
        if not issued_text.isdigit() or len(issued_text) > 12:
            return False
        issued = int(issued_text)
        if not 0 <= self._clock() - issued <= FORM_LIFETIME:
            return False
        return hmac.compare_digest(signature, self._sign(reference, issued))

    def _sign(self, reference: str, issued: int) -> str:
        message = f"{reference}|{issued}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


class AddressLimiter:
    """At most ``per_minute`` requests per client address in any sliding minute."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._next_sweep = 0.0

    def allow(self, address: str) -> bool:
        """Count one request from ``address``; False once it is over the limit."""
        now = self._clock()
        if now >= self._next_sweep:
            # Forget quiet addresses now and then, so the table stays as small as the traffic.
            self._seen = {key: times for key, times in self._seen.items() if times[-1] > now - 60}
            self._next_sweep = now + 60
        times = self._seen.setdefault(address, deque())
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self._per_minute:
            return False
        times.append(now)
        return True


def client_address(request: web.Request, trusted_header: str | None) -> str:
    """The client's address: the trusted proxy header's (e.g. ``X-Real-IP``), else the peer's."""
    if trusted_header:
        forwarded = request.headers.get(trusted_header, "").strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set the security headers on every response (errors included)."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response
