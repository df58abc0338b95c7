"""A local Daraja that is as strict as the real one, for tests, the demo and development.

It checks credentials, tokens (a new one invalidates the previous one), ``Password`` against
``Timestamp`` and shortcode, a ``Timestamp`` in Nairobi time and every field rule; refuses with
Daraja's error shapes; POSTs the callback after ``callback_delay``; and answers queries with the
in-progress shapes until then. Customers behave according to the test phone numbers in
:mod:`daraja.simulator.phones`.

In-process::

    async with SimulatorServer(SimulatorSettings(callback_delay=0.05)) as server:
        http = build_http_client(server.base_url)
        server.daraja.faults.add(Endpoint.STK_QUERY, Fault.SYSTEM_BUSY)

Beyond STK Push (``server.daraja.c2b``, ``.initiator``, ``.pull``, ``.ledger``): C2B
registration, simulate and a control payment with validation and confirmation calls;
Transaction Status, Reversal and B2C with real initiator checks and asynchronous Results; Pull
Transactions over the ledger; each phone's SMS. See :mod:`daraja.simulator.routes`.

Standalone: ``asyncio.run(serve_forever("127.0.0.1", 8089))``, or ``python -m daraja.simulator
--port 8089``; the client then uses consumer key/secret, shortcode and passkey from
:mod:`daraja.simulator.settings` (``DEFAULT_*``).
"""

from daraja.simulator.app import create_simulator_app
from daraja.simulator.delivery import SentNotice
from daraja.simulator.engine import (
    CALLBACK_CONTENT_TYPE,
    Counters,
    Prompt,
    SentCallback,
    SimulatedDaraja,
)
from daraja.simulator.faults import Endpoint, Fault, FaultPlan
from daraja.simulator.keys import simulator_keys
from daraja.simulator.ledger import Kind, LedgerTransaction, PhoneMessage
from daraja.simulator.phones import PHONE_RESULTS, SimulatorPhone
from daraja.simulator.server import DEFAULT_HOST, DEFAULT_PORT, SimulatorServer, serve_forever
from daraja.simulator.settings import (
    DEFAULT_B2C_SHORTCODE,
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_INITIATOR_NAME,
    DEFAULT_INITIATOR_PASSWORD,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_TILL,
    MsisdnForm,
    PendingStyle,
    SimulatorSettings,
)
from daraja.simulator.web_common import SIMULATOR_KEY

__all__ = [
    "CALLBACK_CONTENT_TYPE",
    "DEFAULT_B2C_SHORTCODE",
    "DEFAULT_CONSUMER_KEY",
    "DEFAULT_CONSUMER_SECRET",
    "DEFAULT_HOST",
    "DEFAULT_INITIATOR_NAME",
    "DEFAULT_INITIATOR_PASSWORD",
    "DEFAULT_PASSKEY",
    "DEFAULT_PORT",
    "DEFAULT_SHORTCODE",
    "DEFAULT_TILL",
    "PHONE_RESULTS",
    "SIMULATOR_KEY",
    "Counters",
    "Endpoint",
    "Fault",
    "FaultPlan",
    "Kind",
    "LedgerTransaction",
    "MsisdnForm",
    "PendingStyle",
    "PhoneMessage",
    "Prompt",
    "SentCallback",
    "SentNotice",
    "SimulatedDaraja",
    "SimulatorPhone",
    "SimulatorServer",
    "SimulatorSettings",
    "create_simulator_app",
    "serve_forever",
    "simulator_keys",
]
