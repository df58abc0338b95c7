"""The M-Pesa side of a process: the Daraja client (or the in-process simulator) and gateways."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import httpx

from checkout.domain.time import Clock
from daraja import DarajaClient, Initiator, build_http_client
from daraja.simulator.keys import simulator_keys
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.build.credentials import callback_secret, daraja_config
from lipa.gateway import DarajaGateway
from lipa.initiator import DarajaInitiatorGateway, InitiatorUnset, initiator
from lipa.logs import redact_from_now_on
from lipa.settings import Settings
from lipa.timed_gateway import TimedGateway
from webhook.initiator import result_path, timeout_path
from webhook.metrics import LipaMetrics
from webhook.mpesa import callback_path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Mpesa:
    """The Daraja client and what the services reach M-Pesa through."""

    client: DarajaClient
    gateway: DarajaGateway
    timed: TimedGateway  # the gateway, its calls timed for /metrics
    transaction_status: DarajaInitiatorGateway
    callback_secret: str
    base_url: str  # Daraja's (or the simulator's)
    public_base_url: str  # ours, where Safaricom calls back
    simulator: SimulatorServer | None


async def open_mpesa(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    clock: Clock,
    metrics: LipaMetrics,
    simulator_settings: SimulatorSettings | None,
    public_base_url: str | None,
) -> Mpesa:
    """The client on an HTTP client ``stack`` closes; without ``MPESA_API_BASE_URL`` an
    in-process simulator is started first (and stopped by ``stack``)."""
    simulator = None
    base_url = settings.mpesa_base_url
    if base_url is None:
        simulator = SimulatorServer(simulator_settings)
        await simulator.start()
        stack.push_async_callback(simulator.stop)
        base_url = simulator.base_url
    config = daraja_config(settings)
    secret = callback_secret(settings)
    http = build_http_client(
        base_url,
        timeout=httpx.Timeout(settings.mpesa_timeout_seconds, connect=5.0),
        http_transport=settings.daraja_http_transport,
    )
    stack.push_async_callback(http.aclose)
    client = DarajaClient(http, config, now=clock)
    public = public_base_url or settings.public_base_url
    gateway = DarajaGateway(client, public.rstrip("/") + callback_path(secret))
    return Mpesa(
        client=client,
        gateway=gateway,
        timed=TimedGateway(gateway, metrics.daraja_call),
        transaction_status=initiator_gateway(settings, client, public, secret, simulator),
        callback_secret=secret,
        base_url=base_url,
        public_base_url=public,
        simulator=simulator,
    )


def initiator_gateway(
    settings: Settings,
    client: DarajaClient,
    public_base_url: str,
    secret: str,
    simulator: SimulatorServer | None,
) -> DarajaInitiatorGateway:
    """The gateway of Transaction Status requests, whose answers come to our result routes.

    Without an initiator configured, it refuses every request with the reason (``unset``), so
    "I already paid" answers at once that codes cannot be checked.
    """
    base = public_base_url.rstrip("/")
    try:
        operator = initiator(settings, simulator_default=simulator_initiator(simulator))
        unset = ""
        # A credential made here (from the password) is a secret the settings never held.
        redact_from_now_on(operator.credential.get_secret_value())
    except (InitiatorUnset, ValueError) as error:
        operator = None
        unset = str(error)
        # Said by `lipa serve` once it has started (other commands do not ask M-Pesa).
        log.debug("Transaction Status is off: %s", unset)
    return DarajaInitiatorGateway(
        client,
        operator,
        result_url=base + result_path(secret),
        timeout_url=base + timeout_path(secret),
        unset=unset,
    )


def simulator_initiator(simulator: SimulatorServer | None) -> Initiator | None:
    """The in-process simulator's own test initiator (None: no simulator in this process):
    its operator's name and password, encrypted with the certificate it serves."""
    if simulator is None:
        return None
    settings = simulator.daraja.settings
    return Initiator.from_password(
        settings.initiator_name, settings.initiator_password, simulator_keys().certificate_pem
    )
