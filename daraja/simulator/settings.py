"""What the simulator accepts and how it behaves; every delay is configurable for fast tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from daraja.result_codes import ResultCode

DEFAULT_SHORTCODE = "174379"
DEFAULT_TILL = "174380"
# A made-up passkey, not Safaricom's published sandbox one.
DEFAULT_PASSKEY = "simulator-passkey-0123456789abcdef"
DEFAULT_CONSUMER_KEY = "simulator-consumer-key"
DEFAULT_CONSUMER_SECRET = "simulator-consumer-secret"


class PendingStyle(StrEnum):
    """Which in-progress answer a query gets while the prompt is open."""

    HTTP_500 = "http_500"  # HTTP 500, errorCode 500.001.1001 "The transaction is being processed"
    RESULT_4999 = "result_4999"  # HTTP 200, ResultCode "4999"
    ALTERNATE = "alternate"  # one then the other, starting with HTTP 500


def _default_passkeys() -> dict[str, str]:
    return {DEFAULT_SHORTCODE: DEFAULT_PASSKEY}


def _default_tills() -> dict[str, str]:
    return {DEFAULT_TILL: DEFAULT_SHORTCODE}


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """Credentials, shortcodes and timings of a simulated Daraja.

    ``passkeys`` maps each paybill shortcode or till store number to its passkey; ``tills``
    maps each till number to the store number that owns it. Times are in seconds.
    """

    consumer_key: str = DEFAULT_CONSUMER_KEY
    consumer_secret: str = field(default=DEFAULT_CONSUMER_SECRET, repr=False)
    passkeys: Mapping[str, str] = field(default_factory=_default_passkeys, repr=False)
    tills: Mapping[str, str] = field(default_factory=_default_tills)
    token_lifetime: float = 3599.0
    # Daraja usually sends "3599" (a string); some deployments send 3599.
    expires_in_as_number: bool = False
    callback_delay: float = 3.0
    callback_copies: int = 1  # 0: the callback is lost; 2: delivered twice
    callback_timeout: float = 10.0
    default_result: int = ResultCode.PAID
    timestamp_tolerance: float = 300.0
    pending_style: PendingStyle = PendingStyle.ALTERNATE
    hang_seconds: float = 120.0  # how long a HANG fault holds a request (less if stopped)
    seed: int | None = None  # for reproducible ids, receipts and item order

    def __post_init__(self) -> None:
        if self.token_lifetime <= 0 or self.callback_delay < 0 or self.callback_copies < 0:
            raise ValueError("token_lifetime must be positive; delays and copies not negative")
        for till, store in self.tills.items():
            if store not in self.passkeys:
                raise ValueError(f"till {till} belongs to {store}, which has no passkey")
