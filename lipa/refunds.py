"""Wiring refunds: the rules from the settings, Daraja behind the refunds' gateway port, and
the desk, sender and result handling built once for the process.

:class:`DarajaRefundGateway` turns the daraja client's Reversal, B2C and Transaction Status
calls into the checkout's :class:`checkout.refunds.ports.CallAnswer`: Daraja's refusals (and
calls never delivered) are ``refused``, an unknown outcome is ``unknown`` (never resent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from checkout.domain.records import StaffChat
from checkout.domain.time import Clock
from checkout.initiator.records import InitiatorAnswer
from checkout.refunds.desk import RefundDesk
from checkout.refunds.effects import RefundEffects
from checkout.refunds.notices import RefundNotices
from checkout.refunds.ports import (
    CallAnswer,
    CallOutcome,
    RefundListener,
    RefundResult,
    RefundUnitOfWorkFactory,
)
from checkout.refunds.results import RefundResults, Taken
from checkout.refunds.rules import RefundRules
from checkout.refunds.sending import RefundSender, SendPolicy
from daraja import DarajaClient, Secret
from daraja.errors import DarajaError, OutcomeUnknown
from daraja.initiator import Initiator
from daraja.models import InitiatorAccepted
from lipa.initiator import InitiatorUnset, initiator
from lipa.settings import Settings, is_placeholder
from webhook.initiator import result_path, timeout_path

log = logging.getLogger(__name__)


def refund_rules(settings: Settings) -> RefundRules:
    """The refund rules from the ``REFUND_*`` settings."""
    return RefundRules.of(
        max_age_days=settings.refund_max_age_days,
        daily_limit=settings.refund_daily_limit,
        approvers=settings.refund_approvers,
        owners=settings.refund_owner_ids,
    )


def refund_staff_ids(settings: Settings) -> frozenset[int]:
    """Who may use ``/refund`` and the buttons: the staff, the approvers and the owners."""
    return frozenset(
        (*settings.staff_user_ids, *settings.refund_approvers, *settings.refund_owner_ids)
    )


def _initiator(name: str | None, credential: object) -> Initiator | None:
    getter = getattr(credential, "get_secret_value", None)
    secret = str(getter() if callable(getter) else credential or "").strip()
    if not name or is_placeholder(name) or is_placeholder(secret):
        return None
    return Initiator(name.strip(), Secret(secret))


def refund_initiator(settings: Settings, simulator_default: Initiator | None) -> Initiator | None:
    """The statement work's initiator for reversals and status checks (None: not configured,
    and refunds fail with that reason)."""
    try:
        return initiator(settings, simulator_default=simulator_default)
    except (InitiatorUnset, ValueError) as error:
        log.debug("refunds cannot be sent by reversal: %s", error)
        return None


@dataclass(frozen=True, slots=True)
class RefundInitiators:
    """Who sends refunds: the shortcode's initiator (reversals, status) and the B2C one."""

    main: Initiator | None
    b2c: Initiator | None
    b2c_shortcode: str | None


def refund_initiators(settings: Settings, main: Initiator | None = None) -> RefundInitiators:
    """The initiators from the settings; B2C falls back to ``main`` when it has none of its own.

    ``main`` is the statement work's initiator (``MPESA_INITIATOR_NAME`` and its credential).
    """
    b2c = _initiator(settings.mpesa_b2c_initiator_name, settings.mpesa_b2c_security_credential)
    shortcode = settings.mpesa_b2c_shortcode or None
    return RefundInitiators(main=main, b2c=b2c or main, b2c_shortcode=shortcode)


class DarajaRefundGateway:
    """Implements ``checkout.refunds.ports.RefundGateway`` with the daraja client."""

    def __init__(
        self,
        client: DarajaClient,
        initiators: RefundInitiators,
        *,
        result_url: str,
        timeout_url: str,
    ) -> None:
        self._client = client
        self._initiators = initiators
        self._result_url = result_url
        self._timeout_url = timeout_url

    @property
    def can_send(self) -> bool:
        """An initiator is configured."""
        return self._initiators.main is not None or self.b2c_available

    @property
    def b2c_available(self) -> bool:
        """A B2C shortcode and an initiator for it are configured."""
        return self._initiators.b2c is not None and bool(self._initiators.b2c_shortcode)

    async def reverse(self, *, receipt: str, amount: int, remarks: str) -> CallAnswer:
        """Daraja's Reversal of ``receipt``."""
        initiator = self._initiators.main
        if initiator is None:
            return CallAnswer(CallOutcome.REFUSED, description="no initiator for reversals")
        return await _answer(
            self._client.reversal(
                initiator,
                transaction_id=receipt,
                amount=amount,
                result_url=self._result_url,
                timeout_url=self._timeout_url,
                remarks=remarks,
            )
        )

    async def pay_phone(
        self, *, originator_id: str, phone: str, amount: int, remarks: str, occasion: str
    ) -> CallAnswer:
        """A B2C BusinessPayment to ``phone``."""
        initiator = self._initiators.b2c
        shortcode = self._initiators.b2c_shortcode
        if initiator is None or not shortcode:
            return CallAnswer(CallOutcome.REFUSED, description="no B2C shortcode")
        return await _answer(
            self._client.b2c_payment(
                initiator,
                originator_conversation_id=originator_id,
                b2c_shortcode=shortcode,
                phone=phone,
                amount=amount,
                remarks=remarks,
                occasion=occasion,
                result_url=self._result_url,
                timeout_url=self._timeout_url,
            )
        )

    async def ask_status(
        self,
        *,
        transaction_id: str | None,
        originator_id: str | None,
        remarks: str,
        by_call: str | None = None,
    ) -> CallAnswer:
        """Transaction Status about a refund whose result never came (see the port)."""
        initiator = self._initiators.main or self._initiators.b2c
        if initiator is None:
            return CallAnswer(CallOutcome.REFUSED, description="no initiator")
        return await _answer(
            self._client.transaction_status(
                initiator,
                transaction_id=transaction_id,
                result_url=self._result_url,
                timeout_url=self._timeout_url,
                remarks=remarks,
                originator_conversation_id=originator_id,
                original_conversation_id=by_call,
            )
        )


async def _answer(call: Awaitable[InitiatorAccepted]) -> CallAnswer:
    """Daraja's answer to one call, as the checkout reads it."""
    try:
        accepted = await call
    except OutcomeUnknown as unknown:
        return CallAnswer(CallOutcome.UNKNOWN, description=str(unknown))
    except DarajaError as error:
        # Refused by Daraja, refused before sending, or never delivered: nothing went out.
        code = getattr(error, "error_code", None)
        message = getattr(error, "error_message", None) or str(error)
        return CallAnswer(CallOutcome.REFUSED, code=code, description=str(message))
    return CallAnswer(
        CallOutcome.ACCEPTED,
        originator_id=accepted.originator_conversation_id,
        conversation_id=accepted.conversation_id,
        description=accepted.response_description,
    )


def refund_result(answer: InitiatorAnswer) -> RefundResult:
    """A Result (or queue timeout) the result routes parsed, as the refunds read it."""
    return RefundResult(
        originator_id=answer.originator_conversation_id,
        conversation_id=answer.conversation_id,
        result_code=answer.result_code,
        result_code_text=answer.result_code_text,
        description=answer.description,
        transaction_id=answer.transaction_id,
        parameters=dict(answer.parameters),
        timed_out=answer.timed_out,
    )


@dataclass(frozen=True, slots=True)
class RefundParts:
    """The refunds of one process: the desk (asking, approving), sender and results."""

    desk: RefundDesk
    sender: RefundSender
    results: RefundResults
    staff_ids: frozenset[int]

    async def take(self, answer: InitiatorAnswer) -> str | None:
        """Give a Result (or queue timeout) to the refunds; what they made of it (None: no
        refund's call), for the result routes' ``others``."""
        taken = await self.results.take(refund_result(answer))
        return None if taken is Taken.UNKNOWN else f"refund result {taken.value}"


def refund_parts(
    settings: Settings,
    units: RefundUnitOfWorkFactory,
    client: DarajaClient,
    *,
    public_base_url: str,
    secret: str,
    staff: StaffChat | None,
    clock: Clock,
    listeners: Sequence[RefundListener] = (),
    main_initiator: Initiator | None = None,
    sms: bool = False,
) -> RefundParts:
    """Build the refunds: rules, notices, gateway, desk, sender (woken on approval), results.

    ``sms``: SMS is configured (a web page's payer is told of their refund by SMS)."""
    notices = RefundNotices(clock=clock, staff=staff, sms=sms)
    effects = RefundEffects(clock=clock, notices=notices, listeners=listeners)
    base = public_base_url.rstrip("/")
    gateway = DarajaRefundGateway(
        client,
        refund_initiators(settings, main_initiator),
        result_url=base + result_path(secret),
        timeout_url=base + timeout_path(secret),
    )
    woken = asyncio.Event()
    desk = RefundDesk(
        units, clock=clock, rules=refund_rules(settings), notices=notices, on_approved=woken.set
    )
    sender = RefundSender(
        units,
        gateway,
        effects,
        desk,
        clock=clock,
        # A claim outlasts the longest call with the client's own retries.
        policy=SendPolicy(lease_seconds=max(180.0, settings.mpesa_timeout_seconds * 4 + 30)),
        woken_by=woken,
    )
    results = RefundResults(
        units, effects, clock=clock, b2c_available=gateway.b2c_available, on_requeued=woken.set
    )
    return RefundParts(desk, sender, results, refund_staff_ids(settings))
