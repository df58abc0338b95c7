"""Building the ``httpx.AsyncClient`` the Daraja client is given."""

from __future__ import annotations

import urllib.request
from enum import StrEnum
from urllib.parse import urlsplit

import httpx

from daraja.aiohttp_transport import AiohttpForms, AiohttpTransport

# A push waits for Daraja to reach the phone network, so reads get more time than connects.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class HttpTransport(StrEnum):
    """Which transport carries Daraja's requests (the ``DARAJA_HTTP_TRANSPORT`` setting).

    ``AIOHTTP`` is :class:`AiohttpTransport`: a third of httpx's CPU per request, with its own
    mapping of aiohttp's failures onto "sent or not". ``HTTPX`` is httpx's own transport
    (httpcore), whose errors say that themselves: the way out should an aiohttp upgrade
    change what its exceptions mean. Both are held to the same rule by the same tests: only a
    failure before sending lets a push be sent again.
    """

    AIOHTTP = "aiohttp"
    HTTPX = "httpx"


def build_http_client(
    base_url: str,
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    limits: httpx.Limits = DEFAULT_LIMITS,
    transport: httpx.AsyncBaseTransport | None = None,
    http_transport: HttpTransport = HttpTransport.AIOHTTP,
) -> httpx.AsyncClient:
    """Return an AsyncClient for ``base_url`` with explicit timeouts; the caller closes it.

    Unless a ``transport`` is given, requests go through :class:`AiohttpTransport` (a third
    of httpx's own CPU cost per request), or through httpx's own transport when
    ``http_transport`` is :attr:`HttpTransport.HTTPX` or the environment names a proxy for
    ``base_url`` (httpx honours ``HTTPS_PROXY``/``NO_PROXY``).
    """
    if transport is None:
        transport = cheap_transport(base_url, http_transport, limits)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=limits,
        transport=transport,
        # Daraja never redirects; following one could send the bearer token elsewhere.
        follow_redirects=False,
        headers={"Accept": "application/json"},
    )


def cheap_transport(
    base_url: str,
    http_transport: HttpTransport = HttpTransport.AIOHTTP,
    limits: httpx.Limits = DEFAULT_LIMITS,
) -> AiohttpTransport | None:
    """:class:`AiohttpTransport` for requests to ``base_url``, or None for httpx's own transport
    (asked for by ``http_transport``, or a proxy is configured for ``base_url``).

    One transport keeps one aiohttp session: its connections stay open between requests.
    Also used for the SMS API, whose sends cost the outbox as much CPU as Daraja's pushes."""
    if http_transport == HttpTransport.AIOHTTP and not _proxied(base_url):
        return AiohttpTransport(limits)
    return None


def cheap_forms(
    base_url: str,
    http_transport: HttpTransport,
    *,
    timeout: httpx.Timeout,
    headers: dict[str, str],
    limits: httpx.Limits = DEFAULT_LIMITS,
) -> AiohttpForms | None:
    """:class:`AiohttpForms` for an API at ``base_url`` that takes one form POST per request
    (the SMS API), or None where :func:`cheap_transport` keeps httpx's own transport."""
    if http_transport == HttpTransport.AIOHTTP and not _proxied(base_url):
        return AiohttpForms(base_url, timeout=timeout, limits=limits, headers=headers)
    return None


def _proxied(url: str) -> bool:
    """Whether HTTP(S)_PROXY/ALL_PROXY, less NO_PROXY, send requests to ``url`` via a proxy."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return bool(proxy) and not urllib.request.proxy_bypass(parts.hostname or "")
