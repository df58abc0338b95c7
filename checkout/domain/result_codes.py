"""M-Pesa Express result codes as the core names them, mirroring ``daraja.result_codes``.

This is the one enum Lipa's own code names result codes with; daraja/ keeps its own because
it stands alone (the core may not import it, and it imports nothing of Lipa's), and a test
(``tests/daraja/test_result_codes_agree.py``) holds the two equal. Payments store the code as
a plain int, and an IntEnum member compares equal to it.
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    """The outcome of an STK push: ``0`` is paid, everything else is not."""

    PAID = 0
    INSUFFICIENT_BALANCE = 1  # no balance and no Fuliza either
    AMOUNT_BELOW_MINIMUM = 2
    AMOUNT_ABOVE_MAXIMUM = 3
    DAILY_LIMIT_EXCEEDED = 4
    DUPLICATE_WITHIN_TWO_MINUTES = 17  # same amount to the same customer within 2 minutes
    SUBSCRIBER_LOCKED = 1001  # busy USSD session or another transaction in process
    EXPIRED = 1019
    PROMPT_NOT_SENT = 1025
    CANCELLED = 1032
    UNREACHABLE = 1036
    NO_ANSWER = 1037
    WRONG_PIN = 2001
    # Only in STK Push Query answers: the prompt is still open, ask again later.
    IN_PROGRESS = 4999
    PUSH_REQUEST_ERROR = 9999  # the prompt could not be sent

    @classmethod
    def known(cls, code: int) -> ResultCode | None:
        """Return the named code for ``code``, or None when Daraja sent one not listed here."""
        try:
            return cls(code)
        except ValueError:
            return None
