"""The simulated Daraja: tokens, open prompts, the customers' answers and the callbacks sent."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import itertools
import json
import logging
import math
import random
import string
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from daraja.error_codes import ErrorCode
from daraja.result_codes import ResultCode
from daraja.signing import NAIROBI
from daraja.simulator.c2b import C2BSimulator
from daraja.simulator.delivery import Courier
from daraja.simulator.faults import Endpoint, Fault, FaultPlan
from daraja.simulator.initiator import InitiatorSimulator
from daraja.simulator.ledger import Ledger
from daraja.simulator.phones import LOCKED_PHONES, PHONE_RESULTS, result_description
from daraja.simulator.pull import PullSimulator
from daraja.simulator.rules import Rejection, invalid, read_push, read_query
from daraja.simulator.settings import PendingStyle, SimulatorSettings

CALLBACK_CONTENT_TYPE = "application/json;charset=UTF-8"
INVALID_TOKEN = Rejection(404, ErrorCode.INVALID_ACCESS_TOKEN, "Invalid Access Token")
INVALID_AUTHENTICATION = Rejection(
    404, ErrorCode.INVALID_AUTHENTICATION, "Invalid Authentication passed"
)
SUBSCRIBER_LOCKED = Rejection(
    500,
    ErrorCode.PROCESSING_OR_LOCKED,
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
)
BEING_PROCESSED = Rejection(
    500, ErrorCode.PROCESSING_OR_LOCKED, "The transaction is being processed"
)
ACCEPTED = "Success. Request accepted for processing"
# Daraja's own spelling; clients must not match on it.
QUERY_ACCEPTED = "The service request has been accepted successsfully"
# json cannot write 1.00, which Daraja sends; the amount is put in after encoding.
_AMOUNT_MARK = "\x00amount\x00"

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _mask(phone: str) -> str:
    return f"{phone[:4]}****{phone[-4:]}"


def _origin(url: str) -> str:
    # The callback path may hold a secret: log where it goes, not the whole URL.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer to send: status and JSON body (None for an empty body)."""

    status: int
    body: Mapping[str, Any] | None


@dataclass(slots=True)
class Counters:
    """How many requests of each kind the simulator has received, for tests."""

    token_requests: int = 0
    tokens_issued: int = 0
    push_requests: int = 0
    pushes_accepted: int = 0
    query_requests: int = 0
    other_requests: dict[str, int] = field(default_factory=dict)  # by Endpoint, beyond STK


@dataclass(frozen=True, slots=True)
class SentCallback:
    """One attempt to deliver a callback: the exact body, and what the receiver answered."""

    checkout_request_id: str
    result_code: int
    url: str
    body: bytes
    status: int | None  # None when the receiver could not be reached
    error: str | None

    @property
    def delivered(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(slots=True)
class Prompt:
    """An STK prompt on a customer's phone; ``result_code`` is None while it is open."""

    checkout_request_id: str
    merchant_request_id: str
    shortcode: str
    phone: str
    amount: int
    reference: str
    callback_url: str
    result_code: int | None = None
    result_desc: str | None = None
    receipt_number: str | None = None
    settled_at: datetime | None = None
    pending_answers: int = 0


class SimulatedDaraja:
    """Answers token, push and query requests as Daraja does, and sends the callbacks.

    Tests steer it through ``faults``, ``settle``/``settle_phone``, ``revoke_token`` and the
    knobs ``callback_delay``, ``callback_copies`` and ``default_result``; they observe it
    through ``counters``, ``callbacks`` and ``prompts``.
    """

    def __init__(
        self,
        settings: SimulatorSettings | None = None,
        *,
        now: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or SimulatorSettings()
        self.counters = Counters()
        self.faults = FaultPlan()
        self.callbacks: list[SentCallback] = []
        self.callback_delay = self.settings.callback_delay
        self.callback_copies = self.settings.callback_copies
        self.default_result = self.settings.default_result
        self.stopping = asyncio.Event()
        self._now = now
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._prompts: dict[str, Prompt] = {}
        self._open_by_phone: dict[str, str] = {}  # phone → CheckoutRequestID of its open prompt
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._changed = asyncio.Condition()
        self._sequence = itertools.count(1)
        # Ids, receipts and item order need variety, not secrecy; a seed makes them repeatable.
        self._rng = random.Random(self.settings.seed)  # noqa: S311
        # Beyond STK Push: one ledger, read and written by C2B, the initiator calls and Pull.
        self.ledger = Ledger(self._rng)
        self.courier = Courier()
        parts = (self.settings, self.ledger)
        self.c2b = C2BSimulator(*parts, self.courier, now=now, rng=self._rng)
        self.initiator = InitiatorSimulator(*parts, self.courier, now=now, rng=self._rng)
        self.pull = PullSimulator(*parts, now=now, rng=self._rng)

    # Lifecycle -------------------------------------------------------------------------------

    def attach(self, session: aiohttp.ClientSession) -> None:
        """Start delivering callbacks through ``session``."""
        self._session = session
        self.courier.attach(session)
        # Fresh primitives: a server may be started again, on another event loop.
        self.stopping = asyncio.Event()
        self._changed = asyncio.Condition()

    async def close(self) -> None:
        """Release hanging requests and cancel pending settlements and deliveries."""
        self.stopping.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.courier.close()
        self._session = None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def hang(self) -> None:
        """Wait as a hanging Daraja would: ``hang_seconds``, or until the simulator stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), self.settings.hang_seconds)

    def received(self, endpoint: Endpoint) -> Fault | None:
        """Count a request to ``endpoint`` and return the fault it must meet, if any."""
        if endpoint is Endpoint.TOKEN:
            self.counters.token_requests += 1
        elif endpoint is Endpoint.STK_PUSH:
            self.counters.push_requests += 1
        elif endpoint is Endpoint.STK_QUERY:
            self.counters.query_requests += 1
        else:
            others = self.counters.other_requests
            others[endpoint] = others.get(endpoint, 0) + 1
        return self.faults.take(endpoint)

    # Ids -----------------------------------------------------------------------------------

    def _request_id(self) -> str:
        return f"{self._rng.randint(1000, 99999)}-{self._rng.randint(1000000, 99999999)}-1"

    def error(self, rejection: Rejection) -> Reply:
        """Return Daraja's error answer for ``rejection``."""
        return Reply(
            rejection.status,
            {
                "requestId": self._request_id(),
                "errorCode": rejection.error_code,
                "errorMessage": rejection.error_message,
            },
        )

    # OAuth ---------------------------------------------------------------------------------

    def _credentials_match(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        key, _, secret = decoded.partition(":")
        # Both compared, always, so the time taken does not tell which one was wrong.
        key_ok = hmac.compare_digest(key.encode(), self.settings.consumer_key.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.settings.consumer_secret.encode())
        return key_ok and secret_ok

    def issue_token(self, authorization: str | None, grant_type: str | None) -> Reply:
        """Return a new token, which invalidates the previous one; HTTP 400, empty, if refused."""
        if grant_type != "client_credentials" or not self._credentials_match(authorization):
            return Reply(400, None)
        alphabet = string.ascii_letters + string.digits
        self._token = "".join(self._rng.choices(alphabet, k=28))
        self._token_expires_at = self._monotonic() + self.settings.token_lifetime
        self.counters.tokens_issued += 1
        seconds = math.ceil(self.settings.token_lifetime)
        expires_in: int | str = seconds if self.settings.expires_in_as_number else str(seconds)
        return Reply(200, {"access_token": self._token, "expires_in": expires_in})

    def revoke_token(self) -> None:
        """Invalidate the current token, as a token issued elsewhere would."""
        self._token = None

    def check_bearer(self, authorization: str | None) -> Reply | None:
        """Return the refusal for a missing, stale or expired token, or None if it is valid."""
        if not authorization or not authorization.startswith("Bearer "):
            return self.error(INVALID_AUTHENTICATION)
        token = authorization[7:]
        valid = (
            self._token is not None
            and hmac.compare_digest(token.encode(), self._token.encode())
            and self._monotonic() < self._token_expires_at
        )
        if not valid:
            return self.error(INVALID_TOKEN)
        return None

    # STK push ------------------------------------------------------------------------------

    def planned_result(self, phone: str) -> int | None:
        """Return the ResultCode the customer on ``phone`` answers with; None: never by itself."""
        if phone in PHONE_RESULTS:
            return PHONE_RESULTS[phone]
        return self.default_result

    def push(self, body: Any) -> Reply:
        """Open a prompt for a valid push and plan the customer's answer; or refuse the push."""
        try:
            request = read_push(body, self.settings, self._now())
        except Rejection as rejection:
            logger.info("simulator refused a push: %s", rejection.error_message)
            return self.error(rejection)
        if request.phone in LOCKED_PHONES or request.phone in self._open_by_phone:
            return self.error(SUBSCRIBER_LOCKED)
        number = next(self._sequence)
        stamp = self._now().astimezone(NAIROBI).strftime("%d%m%Y%H%M%S")
        prompt = Prompt(
            checkout_request_id=f"ws_CO_{stamp}{number:06d}",
            merchant_request_id=f"{self._rng.randint(10000, 99999)}-{number}-1",
            shortcode=request.shortcode,
            phone=request.phone,
            amount=request.amount,
            reference=request.reference,
            callback_url=request.callback_url,
        )
        self._prompts[prompt.checkout_request_id] = prompt
        self._open_by_phone[prompt.phone] = prompt.checkout_request_id
        self.counters.pushes_accepted += 1
        logger.info(
            "simulator prompting %s for %d (%s)",
            _mask(prompt.phone),
            prompt.amount,
            prompt.checkout_request_id,
        )
        result = self.planned_result(prompt.phone)
        if result is not None:
            self._spawn(self._settle_later(prompt.checkout_request_id, result))
        return Reply(
            200,
            {
                "MerchantRequestID": prompt.merchant_request_id,
                "CheckoutRequestID": prompt.checkout_request_id,
                "ResponseCode": "0",
                "ResponseDescription": ACCEPTED,
                "CustomerMessage": ACCEPTED,
            },
        )

    # STK query -----------------------------------------------------------------------------

    def query(self, body: Any) -> Reply:
        """Answer a query: an in-progress shape while the prompt is open, else its ResultCode."""
        try:
            shortcode, checkout_id = read_query(body, self.settings, self._now())
        except Rejection as rejection:
            logger.info("simulator refused a query: %s", rejection.error_message)
            return self.error(rejection)
        prompt = self._prompts.get(checkout_id)
        if prompt is None or prompt.shortcode != shortcode:
            return self.error(invalid("CheckoutRequestID"))
        if prompt.result_code is None:
            return self._in_progress(prompt)
        return Reply(
            200,
            {
                "ResponseCode": "0",
                "ResponseDescription": QUERY_ACCEPTED,
                "MerchantRequestID": prompt.merchant_request_id,
                "CheckoutRequestID": prompt.checkout_request_id,
                "ResultCode": str(prompt.result_code),
                "ResultDesc": prompt.result_desc,
            },
        )

    def _in_progress(self, prompt: Prompt) -> Reply:
        style = self.settings.pending_style
        if style is PendingStyle.ALTERNATE:
            odd = prompt.pending_answers % 2 == 1
            style = PendingStyle.RESULT_4999 if odd else PendingStyle.HTTP_500
        prompt.pending_answers += 1
        if style is PendingStyle.HTTP_500:
            return self.error(BEING_PROCESSED)
        return Reply(
            200,
            {
                "ResponseCode": "0",
                "ResponseDescription": QUERY_ACCEPTED,
                "MerchantRequestID": prompt.merchant_request_id,
                "CheckoutRequestID": prompt.checkout_request_id,
                "ResultCode": str(ResultCode.IN_PROGRESS.value),
                "ResultDesc": "The transaction is still under processing",
            },
        )

    # Settling ------------------------------------------------------------------------------

    @property
    def prompts(self) -> Mapping[str, Prompt]:
        """Every prompt opened so far, by CheckoutRequestID (read them, do not change them)."""
        return MappingProxyType(self._prompts)

    def open_prompts(self) -> list[str]:
        """Return the CheckoutRequestIDs of the prompts still open."""
        return list(self._open_by_phone.values())

    async def _settle_later(self, checkout_id: str, result_code: int) -> None:
        await asyncio.sleep(self.callback_delay)
        try:
            await self.settle(checkout_id, result_code)
        except Exception:
            # A background task has nobody to raise to: report it and keep serving.
            logger.exception("simulator failed to settle %s", checkout_id)

    async def settle(self, checkout_request_id: str, result_code: int | None = None) -> bool:
        """End an open prompt now and deliver its callback; False if it had already ended.

        Without ``result_code`` the prompt ends as its phone's customer would (the default
        result for a phone that holds its prompt). Raises KeyError for an unknown id.
        """
        prompt = self._prompts[checkout_request_id]
        if prompt.result_code is not None:
            return False
        if result_code is None:
            planned = self.planned_result(prompt.phone)
            result_code = self.default_result if planned is None else planned
        prompt.result_code = result_code
        prompt.result_desc = result_description(result_code)
        prompt.settled_at = self._now()
        if result_code == ResultCode.PAID:
            # Every success is a transaction of the shortcode, with a realistic receipt.
            prompt.receipt_number = self.ledger.new_receipt(prompt.settled_at)
            self.ledger.record_stk(
                prompt.receipt_number,
                prompt.settled_at,
                shortcode=prompt.shortcode,
                phone=prompt.phone,
                amount=prompt.amount,
                reference=prompt.reference,
                organisation=self.settings.organisation_name,
            )
        if self._open_by_phone.get(prompt.phone) == checkout_request_id:
            del self._open_by_phone[prompt.phone]
        body = self._callback_body(prompt, result_code)
        for _ in range(self.callback_copies):
            await self._deliver(prompt, result_code, body)
        return True

    async def settle_phone(self, phone: str, result_code: int | None = None) -> str:
        """End the open prompt on ``phone`` (see ``settle``); return its CheckoutRequestID."""
        checkout_id = self._open_by_phone[phone]
        await self.settle(checkout_id, result_code)
        return checkout_id

    def _callback_body(self, prompt: Prompt, result_code: int) -> bytes:
        callback: dict[str, Any] = {
            "MerchantRequestID": prompt.merchant_request_id,
            "CheckoutRequestID": prompt.checkout_request_id,
            "ResultCode": result_code,
            "ResultDesc": result_description(result_code),
        }
        if result_code == ResultCode.PAID and prompt.settled_at is not None:
            date = prompt.settled_at.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")
            items: list[dict[str, Any]] = [
                {"Name": "Amount", "Value": _AMOUNT_MARK},
                {"Name": "MpesaReceiptNumber", "Value": prompt.receipt_number},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(date)},
                {"Name": "PhoneNumber", "Value": int(prompt.phone)},
            ]
            self._rng.shuffle(items)  # Daraja's order varies: clients must look items up by Name
            callback["CallbackMetadata"] = {"Item": items}
        text = json.dumps({"Body": {"stkCallback": callback}})
        text = text.replace(json.dumps(_AMOUNT_MARK), f"{prompt.amount}.00")
        return text.encode()

    async def _deliver(self, prompt: Prompt, result_code: int, body: bytes) -> None:
        status: int | None = None
        error: str | None = None
        if self._session is None:
            error = "the simulator is not running"
        else:
            timeout = aiohttp.ClientTimeout(total=self.settings.callback_timeout)
            try:
                async with self._session.post(
                    prompt.callback_url,
                    data=body,
                    headers={"Content-Type": CALLBACK_CONTENT_TYPE},
                    timeout=timeout,
                ) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = type(exc).__name__
        if error is not None:
            logger.warning(
                "simulator could not deliver the callback of %s to %s: %s",
                prompt.checkout_request_id,
                _origin(prompt.callback_url),
                error,
            )
        sent = SentCallback(
            checkout_request_id=prompt.checkout_request_id,
            result_code=result_code,
            url=prompt.callback_url,
            body=body,
            status=status,
            error=error,
        )
        async with self._changed:
            self.callbacks.append(sent)
            self._changed.notify_all()

    async def wait_for_callbacks(self, count: int) -> list[SentCallback]:
        """Wait until ``count`` callback attempts are recorded (bound it with asyncio.timeout)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.callbacks) >= count)
        return list(self.callbacks)
