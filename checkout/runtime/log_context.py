"""Fields every log line carries while one payment or conversation is being handled.

Adapters bind them where an update or request starts (``with log_fields(conversation=...)``);
the log formatter adds them to each line. A context variable keeps concurrent updates apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_EMPTY: Mapping[str, object] = MappingProxyType({})
_FIELDS: ContextVar[Mapping[str, object]] = ContextVar("lipa_log_fields", default=_EMPTY)


@contextmanager
def log_fields(**fields: object) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block (in this task)."""
    token = _FIELDS.set(MappingProxyType({**_FIELDS.get(), **fields}))
    try:
        yield
    finally:
        _FIELDS.reset(token)


def current_log_fields() -> Mapping[str, object]:
    """The fields bound here, innermost last."""
    return _FIELDS.get()
