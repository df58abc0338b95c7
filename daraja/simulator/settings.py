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
# The simulator's API operator (initiator) and its made-up password.
DEFAULT_INITIATOR_NAME = "simulator-initiator"
DEFAULT_INITIATOR_PASSWORD = "simulator-initiator-password"
DEFAULT_B2C_SHORTCODE = "600900"
DEFAULT_B2C_FLOAT = 100_000
DEFAULT_ORGANISATION_NAME = "SIMULATED SHOP"


class MsisdnForm(StrEnum):
    """How C2B confirmations, Transaction Status and Pull show the payer's number."""

    FULL = "full"  # 254708374149
    MASKED = "masked"  # 2547****149
    HASHED = "hashed"  # SHA-256 hex digest of 254708374149


class PendingStyle(StrEnum):
    """Which in-progress answer a query gets while the prompt is open."""

    HTTP_500 = "http_500"  # HTTP 500, errorCode 500.001.1001 "The transaction is being processed"
    RESULT_4999 = "result_4999"  # HTTP 200, ResultCode "4999"
    ALTERNATE = "alternate"  # one then the other, starting with HTTP 500


def _default_passkeys() -> dict[str, str]:
    return {DEFAULT_SHORTCODE: DEFAULT_PASSKEY}


def _default_tills() -> dict[str, str]:
    return {DEFAULT_TILL: DEFAULT_SHORTCODE}


def _default_b2c_float() -> dict[str, int]:
    return {DEFAULT_B2C_SHORTCODE: DEFAULT_B2C_FLOAT}


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """Credentials, shortcodes and timings of a simulated Daraja.

    ``passkeys`` maps each paybill shortcode or till store number to its passkey; ``tills``
    maps each till number to the store number that owns it. Times are in seconds.

    Beyond STK Push: ``initiator_name``/``initiator_password`` are the one API operator the
    initiator calls accept (its SecurityCredential encrypted with the simulator's certificate);
    ``c2b_validation`` says whether Safaricom "enabled external validation" (the validation URL
    is called before a C2B payment); ``c2b_msisdn_form`` how the payer's number is shown;
    ``results_time_out`` sends every initiator request's answer to its QueueTimeOutURL instead
    of a Result; ``b2c_float`` is each B2C shortcode's starting float (KES).
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
    initiator_name: str = DEFAULT_INITIATOR_NAME
    initiator_password: str = field(default=DEFAULT_INITIATOR_PASSWORD, repr=False)
    c2b_validation: bool = True
    c2b_msisdn_form: MsisdnForm = MsisdnForm.MASKED
    validation_timeout: float = 8.0  # Daraja waits about 8 s for a validation answer
    result_delay: float = 0.5  # before an initiator request's Result (or timeout) is POSTed
    results_time_out: bool = False
    b2c_float: Mapping[str, int] = field(default_factory=_default_b2c_float)
    organisation_name: str = DEFAULT_ORGANISATION_NAME
    pull_page_size: int = 100
    pull_window_hours: float = 48.0  # how far back Pull Transactions reaches

    def __post_init__(self) -> None:
        if self.pull_page_size < 1 or self.result_delay < 0 or self.validation_timeout <= 0:
            raise ValueError("pull_page_size, result_delay and validation_timeout out of range")
        if self.token_lifetime <= 0 or self.callback_delay < 0 or self.callback_copies < 0:
            raise ValueError("token_lifetime must be positive; delays and copies not negative")
        for till, store in self.tills.items():
            if store not in self.passkeys:
                raise ValueError(f"till {till} belongs to {store}, which has no passkey")
