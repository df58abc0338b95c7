"""The initiator (Transaction Status, later Reversal and B2C) from the settings, and the gateway
that sends its requests with the Daraja client.

The initiator's ``SecurityCredential`` is ``MPESA_SECURITY_CREDENTIAL`` (from the Daraja
portal) or, given ``MPESA_INITIATOR_PASSWORD`` and ``MPESA_CERTIFICATE_PATH``, that password
encrypted with Safaricom's certificate. On the simulator without either, the simulator's own
test initiator is used. The credential is a secret: never logged, printed only by
``lipa mpesa credential``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from checkout.initiator.ports import InitiatorRefused
from checkout.initiator.records import InitiatorAccepted
from daraja import (
    DarajaApiError,
    DarajaAuthError,
    DarajaClient,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    Initiator,
    OutcomeUnknown,
    Secret,
    security_credential,
)
from lipa.settings import MpesaEnvironment, Settings, is_placeholder

log = logging.getLogger(__name__)


class InitiatorUnset(Exception):
    """No initiator is configured; the message says which settings are missing."""


def credential(settings: Settings) -> str:
    """The initiator's SecurityCredential from the settings (see the module's docstring).

    Raises :class:`InitiatorUnset` when neither way is configured, ValueError for a
    certificate that cannot be read or used.
    """
    given = _secret(settings.mpesa_security_credential)
    if given:
        return given
    password = _secret(settings.mpesa_initiator_password)
    path = (settings.mpesa_certificate_path or "").strip()
    if password and path:
        try:
            certificate = Path(path).read_bytes()
        except OSError as error:
            raise ValueError(f"MPESA_CERTIFICATE_PATH cannot be read: {error.strerror}") from None
        return security_credential(password, certificate)
    raise InitiatorUnset(
        "set MPESA_INITIATOR_NAME and either MPESA_SECURITY_CREDENTIAL (from the Daraja "
        "portal) or MPESA_INITIATOR_PASSWORD with MPESA_CERTIFICATE_PATH"
    )


def initiator(settings: Settings, *, simulator_default: Initiator | None = None) -> Initiator:
    """The configured initiator; :class:`InitiatorUnset` when it is not configured.

    On the simulator with no MPESA_INITIATOR_NAME, ``simulator_default`` (the simulator's own
    test initiator) is used.
    """
    name = (settings.mpesa_initiator_name or "").strip()
    if not name or is_placeholder(name):
        simulating = settings.mpesa_environment is MpesaEnvironment.SIMULATOR
        if simulating and simulator_default is not None:
            return simulator_default
        raise InitiatorUnset("MPESA_INITIATOR_NAME is not set (the API operator's name)")
    return Initiator(name, Secret(credential(settings)))


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    text = str(getter() if callable(getter) else (value or "")).strip()
    return "" if is_placeholder(text) else text


def _retry(error: DarajaError) -> bool:
    """Whether asking again later may work."""
    if isinstance(error, DarajaValidationError | DarajaAuthError):
        return False
    if isinstance(error, OutcomeUnknown | DarajaProtocolError | DarajaUnavailable):
        return True
    if isinstance(error, DarajaApiError):
        if error.is_wrong_credentials:
            return False
        return error.is_server_error or error.is_system_busy or error.is_rate_limited
    return False


class DarajaInitiatorGateway:
    """Implements ``checkout.initiator.ports.InitiatorGateway`` with a :class:`DarajaClient`.

    Without an initiator (``unset`` says why) every request is refused for good, so the
    customer and the staff are told at once rather than kept waiting.
    """

    def __init__(
        self,
        client: DarajaClient,
        initiator: Initiator | None,
        *,
        result_url: str,
        timeout_url: str,
        unset: str = "no initiator is configured",
    ) -> None:
        self._client = client
        self._initiator = initiator
        self._result_url = result_url
        self._timeout_url = timeout_url
        self._unset = unset

    @property
    def unset(self) -> str | None:
        """Why no request can be sent (None: an initiator is configured)."""
        return None if self._initiator is not None else self._unset

    async def transaction_status(
        self, transaction_id: str, *, originator_conversation_id: str
    ) -> InitiatorAccepted:
        """Ask Transaction Status about ``transaction_id``; its Result comes to our route."""
        if self._initiator is None:
            raise InitiatorRefused(self._unset, retry=False)
        try:
            accepted = await self._client.transaction_status(
                self._initiator,
                transaction_id=transaction_id,
                result_url=self._result_url,
                timeout_url=self._timeout_url,
                originator_conversation_id=originator_conversation_id,
            )
        except DarajaError as error:
            if isinstance(error, DarajaApiError) and error.is_wrong_credentials:
                log.error(
                    "Daraja refused the initiator: check MPESA_INITIATOR_NAME and its credential"
                )
            code = error.error_code if isinstance(error, DarajaApiError) else None
            raise InitiatorRefused(str(error), retry=_retry(error), code=code) from error
        return InitiatorAccepted(
            originator_conversation_id=accepted.originator_conversation_id
            or originator_conversation_id,
            conversation_id=accepted.conversation_id,
        )
