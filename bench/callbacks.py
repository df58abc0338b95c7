"""Success callbacks in Daraja's shape, and POSTing them the way Daraja does, n at a time."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

# A callback's TransactionDate: Daraja's YYYYMMDDhhmmss in Nairobi time.
TRANSACTION_DATE = 20261128101500
_HEADERS = {"Content-Type": "application/json;charset=UTF-8"}


def success_callback(
    *,
    merchant: str,
    checkout: str,
    amount: int,
    receipt: str,
    phone: int,
    date: int = TRANSACTION_DATE,
) -> bytes:
    """The body of a success callback for the push ``checkout`` (of ``merchant``)."""
    return json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": merchant,
                    "CheckoutRequestID": checkout,
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": float(amount)},
                            {"Name": "MpesaReceiptNumber", "Value": receipt},
                            {"Name": "Balance"},
                            {"Name": "TransactionDate", "Value": date},
                            {"Name": "PhoneNumber", "Value": phone},
                        ]
                    },
                }
            }
        }
    ).encode()


def pending_payment(
    index: int,
    *,
    order_id: int,
    channel: str,
    chat_key: str,
    amount: int,
    phone: str,
    now: datetime,
) -> dict[str, Any]:
    """A payments row as a push Daraja accepted leaves it, awaiting its callback: request ids
    ``bench-m-<index>`` and ``ws_CO_bench_<index>`` (what a benchmark's callbacks name)."""
    return {
        "order_id": order_id,
        "channel": channel,
        "chat_key": chat_key,
        "language": "en",
        "amount": amount,
        "phone": phone,
        "status": "pending",
        "merchant_request_id": f"bench-m-{index}",
        "checkout_request_id": f"ws_CO_bench_{index}",
        "created_at": now,
        "updated_at": now,
        "check_attempts": 0,
    }


@dataclass(frozen=True, slots=True)
class Acks:
    """The acknowledgements of one burst of callbacks."""

    seconds: float
    latencies: list[float]  # ms, one per callback
    failures: int  # answers other than 200

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def post_callbacks(url: str, bodies: list[bytes], concurrency: int) -> Acks:
    """POST the bodies to ``url``, ``concurrency`` at a time, each timed to its answer."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while queue:
                body = queue.pop()
                started = time.perf_counter()
                async with session.post(url, data=body, headers=_HEADERS) as answer:
                    await answer.read()
                    failures += answer.status != 200
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Acks(time.perf_counter() - started, latencies, failures)
