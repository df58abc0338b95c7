"""Order references as customers type them, and the deep link that carries one.

The reference becomes Daraja's AccountReference: at most 12 characters, shown on the prompt.
"""

from __future__ import annotations

import re
from typing import Final

DEEP_LINK_PREFIX: Final = "pay_"  # /start pay_WW-1042
_ORDER_REFERENCE = re.compile(r"[A-Z0-9-]{1,12}", re.ASCII)


def parse_order_reference(text: str) -> str | None:
    """The reference trimmed and upper-cased, or None unless it is 1-12 letters, digits, hyphens."""
    # Checked before upper(): some non-ASCII letters upper-case into ASCII ones ("ﬁ" → "FI").
    if not text.isascii():
        return None
    reference = text.strip().upper()
    return reference if _ORDER_REFERENCE.fullmatch(reference) else None
