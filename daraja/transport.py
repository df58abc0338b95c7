"""Building the ``httpx.AsyncClient`` the Daraja client is given."""

from __future__ import annotations

import httpx

# A push waits for Daraja to reach the phone network, so reads get more time than connects.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def build_http_client(
    base_url: str,
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    limits: httpx.Limits = DEFAULT_LIMITS,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """Return an AsyncClient for ``base_url`` with explicit timeouts; the caller closes it."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=limits,
        transport=transport,
        # Daraja never redirects; following one could send the bearer token elsewhere.
        follow_redirects=False,
        headers={"Accept": "application/json"},
    )
