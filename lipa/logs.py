"""Log lines: plain text or one JSON object per line, never with a secret or a whole phone number.

Every record passes the :class:`Redactor` before it is formatted, whichever logger wrote it
(PTB and httpx included): the values of the configured secrets are replaced, and Kenyan phone
numbers are masked (``2547****5678``). :class:`JsonFormatter` adds the payment's or the
conversation's id where one is known, from ``extra=`` or from :mod:`checkout.runtime.log_context`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import SecretStr

from checkout.domain.phones import mask_phone
from checkout.runtime.log_context import current_log_fields
from lipa.settings import Settings

REDACTED: Final = "[redacted]"
# Kenyan mobile numbers as they appear in callbacks, logs and texts: 2547..., +2547..., 07...
_PHONE: Final = re.compile(r"(?<![\d+])(\+?254|0)([17]\d{8})(?!\d)")
# Fields a JSON line may carry besides the message: ids that help find a payment's story.
CONTEXT_FIELDS: Final = (
    "payment_id",
    "conversation",
    "checkout_request_id",
    "order",
    "event_id",
    "command",
)
_SHORTEST_SECRET: Final = 6  # shorter values would redact ordinary words


def mask_phones(text: str) -> str:
    """``text`` with every Kenyan mobile number masked."""
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def secret_values(settings: Settings, *extra: str) -> list[str]:
    """Every secret in the settings (and ``extra`` ones), to be kept out of logs."""
    values = [
        value.get_secret_value()
        for value in settings.__dict__.values()
        if isinstance(value, SecretStr)
    ]
    return [value for value in (*values, *extra) if value]


class Redactor(logging.Filter):
    """Replaces secrets and masks phone numbers in each record's message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= _SHORTEST_SECRET},
            key=len,
            reverse=True,
        )

    def add_secret(self, secret: str) -> None:
        """Keep one more value out of the logs (e.g. a secret made at startup)."""
        if len(secret) >= _SHORTEST_SECRET and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def clean(self, text: str) -> str:
        """``text`` without secrets and with phone numbers masked."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return mask_phones(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean the record in place; never drops it."""
        record.msg = self.clean(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, self.clean(value))
        return True


def redact_from_now_on(secret: str) -> None:
    """Keep ``secret``, made after logging was configured, out of every handler's output.

    Adds it to each :class:`Redactor` on the root logger's handlers (where
    ``configure_logging`` puts them).
    """
    for handler in logging.getLogger().handlers:
        for candidate in handler.filters:
            if isinstance(candidate, Redactor):
                candidate.add_secret(secret)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, and any traceback."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in current_log_fields().items():
            if value is not None:
                line[name] = value
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        # Context values come from our code, but clean them too: they may quote input.
        cleaned = {
            key: self._redactor.clean(value) if isinstance(value, str) else value
            for key, value in line.items()
        }
        return json.dumps(cleaned, ensure_ascii=False, default=str)


class ContextTextFormatter(logging.Formatter):
    """The text format, with ``[payment_id=… conversation=…]`` appended when known."""

    def format(self, record: logging.LogRecord) -> str:
        """The usual line, then the bound ids."""
        text = super().format(record)
        fields = {**current_log_fields()}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                fields[name] = value
        shown = " ".join(f"{name}={value}" for name, value in fields.items() if value is not None)
        return f"{text} [{shown}]" if shown else text
