"""Faults a test can make the simulator answer with, per endpoint."""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class Endpoint(StrEnum):
    """The simulated Daraja endpoints."""

    TOKEN = "token"
    STK_PUSH = "stk_push"
    STK_QUERY = "stk_query"
    C2B_REGISTER = "c2b_register"
    C2B_SIMULATE = "c2b_simulate"
    TRANSACTION_STATUS = "transaction_status"
    REVERSAL = "reversal"
    B2C = "b2c"
    PULL_REGISTER = "pull_register"
    PULL_QUERY = "pull_query"


class Fault(StrEnum):
    """What a faulty answer looks like."""

    SYSTEM_BUSY = "system_busy"  # HTTP 500, errorCode 500.003.02 (spike arrest)
    SERVER_ERROR = "server_error"  # HTTP 503 with an HTML body, as a failing gateway sends
    HANG = "hang"  # no answer at all; the request is not processed
    ACCEPT_THEN_HANG = "accept_then_hang"  # a push is processed, but the answer never comes


# Where a request may be carried out while its answer is lost (ACCEPT_THEN_HANG).
ACCEPTING_ENDPOINTS = frozenset(
    {Endpoint.STK_PUSH, Endpoint.C2B_SIMULATE, Endpoint.REVERSAL, Endpoint.B2C}
)


class FaultPlan:
    """Faults queued per endpoint, each used by one request, or one fault for every request."""

    def __init__(self) -> None:
        self._queued: dict[Endpoint, deque[Fault]] = {endpoint: deque() for endpoint in Endpoint}
        self._always: dict[Endpoint, Fault] = {}

    def add(self, endpoint: Endpoint, fault: Fault, times: int | None = 1) -> None:
        """Make the next ``times`` requests to ``endpoint`` fail with ``fault`` (None: all)."""
        if fault is Fault.ACCEPT_THEN_HANG and endpoint not in ACCEPTING_ENDPOINTS:
            raise ValueError(
                "accept_then_hang applies to stk_push and the requests that move money only"
            )
        if times is None:
            self._always[endpoint] = fault
        else:
            self._queued[endpoint].extend([fault] * times)

    def clear(self) -> None:
        """Remove every fault."""
        for queue in self._queued.values():
            queue.clear()
        self._always.clear()

    def take(self, endpoint: Endpoint) -> Fault | None:
        """Return the fault the next request to ``endpoint`` meets, if any."""
        queue = self._queued[endpoint]
        if queue:
            return queue.popleft()
        return self._always.get(endpoint)
