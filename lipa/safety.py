"""What keeps a simulated deployment from being mistaken for a real one.

With ``MPESA_ENVIRONMENT=simulator`` no money moves: Lipa's own Daraja simulator answers every
push. ``lipa serve`` then says so at start (a banner on stderr, or one JSON log line when logs
are JSON), every message to customers and staff starts with :data:`SIMULATED_MARK`, and
``/healthz`` and the ``lipa_mpesa_environment`` metric report it.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, TextIO

from lipa.settings import MpesaEnvironment, Settings

# Put in front of every text a customer or staff member receives while simulating.
SIMULATED_MARK: Final = "[SIMULATED] "

BANNER_LINES: Final = (
    "SIMULATED M-PESA: MPESA_ENVIRONMENT=simulator, no money moves.",
    "Every payment is settled by Lipa's built-in Daraja simulator; every message and receipt",
    "is marked SIMULATED. Never give this deployment to real customers.",
    "For real payments set MPESA_ENVIRONMENT=sandbox or production and run `lipa doctor`.",
)

log = logging.getLogger("lipa.simulator")


def is_simulated(settings: Settings) -> bool:
    """Whether payments are settled by the simulator (no money moves)."""
    return settings.mpesa_environment is MpesaEnvironment.SIMULATOR


def message_mark(settings: Settings) -> str:
    """The prefix of every outgoing text: :data:`SIMULATED_MARK` when simulating, else ''."""
    return SIMULATED_MARK if is_simulated(settings) else ""


def mark_text(mark: str, text: str) -> str:
    """``text`` with ``mark`` in front (once: a text already marked is left as it is)."""
    if not mark or text.startswith(mark):
        return text
    return mark + text


def announce_simulator(log_format: str, stream: TextIO | None = None) -> None:
    """Say that payments are simulated: a banner, or one JSON log line with JSON logs.

    The JSON line is written whatever LOG_LEVEL says: this is not routine output.
    """
    if log_format == "json":
        log.setLevel(logging.WARNING)
        log.warning(" ".join(BANNER_LINES))
        return
    out = stream if stream is not None else sys.stderr
    rule = "!" * 88
    print("\n".join((rule, *(f"!! {line}" for line in BANNER_LINES), rule)), file=out, flush=True)
