"""The rules Daraja applies to the URLs it calls back, and secrets that keep them.

Daraja does not call (and on registration refuses) a URL containing M-Pesa in any spelling or
case, "Safaricom", "exe", "exec", "cmd", "sql" or "query"; a production URL must be https and
reach a public address. A random secret in the path is part of the URL, so it must avoid the
words too: :func:`url_safe_secret` makes one that does.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Final
from urllib.parse import urlsplit

# Each refused word, as a pattern matching its spellings in any case (m-pesa, MPESA, M_Pesa...).
REFUSED_WORDS: Final = {
    "M-Pesa": re.compile(r"m[\W_]*pesa", re.IGNORECASE),
    "Safaricom": re.compile(r"safaricom", re.IGNORECASE),
    "exe": re.compile(r"exe", re.IGNORECASE),  # also covers "exec"
    "cmd": re.compile(r"cmd", re.IGNORECASE),
    "sql": re.compile(r"sql", re.IGNORECASE),
    "query": re.compile(r"query", re.IGNORECASE),
}
_LOCAL_NAMES: Final = ("localhost", "localhost.localdomain")


def refused_words(text: str) -> list[str]:
    """The words Daraja refuses that occur in ``text`` (empty: none)."""
    return [word for word, pattern in REFUSED_WORDS.items() if pattern.search(text)]


def url_safe_secret(length: int = 24) -> str:
    """A random URL-safe secret (``length`` random bytes) containing none of the refused words."""
    while True:
        made = secrets.token_urlsafe(length)
        if not refused_words(made):
            return made


def is_public_host(host: str) -> bool:
    """Whether ``host`` may be reached from the internet (a name, or a global IP address)."""
    name = host.strip("[]").lower()
    if not name or name in _LOCAL_NAMES or name.endswith((".local", ".localhost", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "." in name  # a bare name ("lipa") only resolves on the local network
    return address.is_global


def callback_url_problems(url: str, *, require_public_https: bool) -> list[str]:
    """What in ``url`` would make Daraja refuse it or never call it (empty: nothing).

    ``require_public_https``: the sandbox and production call only https URLs on public hosts.
    """
    problems = []
    parts = urlsplit(url)
    if require_public_https and parts.scheme != "https":
        problems.append("it is not https")
    if require_public_https and not is_public_host(parts.hostname or ""):
        problems.append(f"its host {parts.hostname or '-'} is not a public address")
    words = refused_words(url)
    if words:
        problems.append("it contains " + ", ".join(repr(word) for word in words))
    return problems
