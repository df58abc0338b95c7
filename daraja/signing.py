"""The ``Timestamp`` and ``Password`` fields of STK Push and STK Push Query requests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NAIROBI = ZoneInfo("Africa/Nairobi")
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def nairobi_timestamp(moment: datetime) -> str:
    """Return ``moment`` as ``YYYYMMDDHHmmss`` in Nairobi time, whatever the host's timezone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time would be read in the host's zone: exactly the mistake this avoids.
        raise ValueError("the clock must return timezone-aware datetimes")
    return moment.astimezone(NAIROBI).strftime(TIMESTAMP_FORMAT)


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """Return ``base64(shortcode + passkey + timestamp)``, the STK ``Password`` field."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")
