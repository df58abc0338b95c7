"""1,000 fuzzed callback bodies through the real route: no 5xx, no payment changed, all kept."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import astuple
from datetime import UTC, datetime
from typing import Any

from pytest_aiohttp import AiohttpClient

from checkout.domain.records import Channel
from checkout.payments.batching import SettlementBatcher
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService, StaffChat
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app

SECRET = "fuzz-secret"
PATH = f"/mpesa/callback/{SECRET}"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BODIES = 1000
SEEDED = 20

Units = Callable[[], SqlUnitOfWork]

# Real callback bodies, in the shapes Safaricom sends (ids changed).
REAL: list[dict[str, Any]] = [
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "29115-34620561-1",
                "CheckoutRequestID": "ws_CO_191220191020363925",
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 1.00},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20191219102115},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    },
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "8555-67195-1",
                "CheckoutRequestID": "ws_CO_27072017151044001",
                "ResultCode": 1032,
                "ResultDesc": "Request cancelled by user",
            }
        }
    },
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a71964143",
                "CheckoutRequestID": "ws_CO_21072024125243250722000000",
                "ResultCode": "SFC_IC0003",
                "ResultDesc": "The operator does not exist",
            }
        }
    },
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "6e86-45dd-91ac-fd5d4178ab523408729",
                "CheckoutRequestID": "ws_CO_03122026120000000708374149",
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 500},
                        {"Name": "MpesaReceiptNumber", "Value": "TL3AB4CDEF"},
                        {"Name": "TransactionDate", "Value": 20261203120105},
                        {"Name": "PhoneNumber", "Value": "2547****4149"},
                    ]
                },
            }
        }
    },
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "16813-1590513-1",
                "CheckoutRequestID": "ws_CO_DMZ_123212312_2342347678234",
                "ResultCode": 1037,
                "ResultDesc": "DS timeout user cannot be reached",
            }
        }
    },
]

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    [],
    {},
    [1, 2],
    {"Value": 1},
    "",
    "0",
    "1032",
    "\x00",
    "ws_CO_\x00",
    "\ud800",
    "a\udfffb",
    "x" * 206,
    "N" * 100,
    "é" * 5000,
    1.5,
    -1,
    0,
    2**31,
    2**40,
    2**63,
    2**70,
    -(2**63) - 1,
    10**30,
    10**400,
    1e30,
    1e308,
    -0.0,
    "SFC_IC0003",
    "9999999999999999999999",
]


def deep(depth: int) -> str:
    """JSON text nested ``depth`` levels deep (objects and lists in turn)."""
    opening = "".join("[" if level % 2 else '{"n": ' for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return opening + '"bottom"' + closing


def mutate(rng: random.Random, data: Any, depth: int = 0) -> Any:
    """A copy of ``data`` with one value somewhere replaced, removed or nested deep."""
    if isinstance(data, dict) and data:
        data = dict(data)
        key = rng.choice(sorted(data))
        roll = rng.random()
        if roll < 0.15:
            del data[key]
        elif roll < 0.25:
            data[rng.choice(["Extra", key + "\x00", "\ud800"])] = rng.choice(ODD_VALUES)
        elif roll < 0.55 or depth > 4:
            data[key] = rng.choice(ODD_VALUES)
        else:
            data[key] = mutate(rng, data[key], depth + 1)
        return data
    if isinstance(data, list) and data:
        data = list(data)
        index = rng.randrange(len(data))
        roll = rng.random()
        if roll < 0.2:
            data.append(data[index])  # a repeated item
        elif roll < 0.4:
            data[index] = rng.choice(ODD_VALUES)
        else:
            data[index] = mutate(rng, data[index], depth + 1)
        return data
    return rng.choice(ODD_VALUES)


def fuzzed_body(rng: random.Random) -> bytes:
    base = rng.choice(REAL)
    roll = rng.random()
    if roll < 0.6:
        data = base
        for _ in range(rng.randint(1, 3)):
            data = mutate(rng, data)
        text = json.dumps(data)
    elif roll < 0.7:
        nested = deep(rng.choice([20, 40, 500, 990, 3000]))
        text = json.dumps(base).replace(
            '"stkCallback": {', f'"stkCallback": {{"Nested": {nested}, '
        )
        if rng.random() < 0.3:
            text = "[" * 20_000 + "]" * 20_000
    elif roll < 0.8:
        text = json.dumps(rng.choice(ODD_VALUES))
    else:
        raw = bytearray(json.dumps(base).encode())
        for _ in range(rng.randint(1, 4)):
            choice = rng.random()
            if choice < 0.3 and raw:
                del raw[rng.randrange(len(raw)) :]
            elif choice < 0.6 and raw:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            else:
                raw[rng.randrange(len(raw) + 1) : 0] = rng.choice(
                    [b"\x00", b"\\u0000", b"\\ud800", b"\xff", b"NaN", b"1e400", b"99" * 50]
                )
        return bytes(raw)
    return text.encode()


async def seed(uow: Units) -> None:
    async with uow() as unit:
        for index in range(SEEDED):
            reference = f"WW-{3000 + index}"
            await unit.orders.create(reference, 500, known=True)
            payment = await unit.payments.create_pending(
                NewPayment(
                    reference, None, Channel.TELEGRAM, str(index), 500, "254708374149", "en"
                ),
                now=NOW,
            )
            await unit.payments.mark_requested(
                payment.id, merchant_request_id="m", checkout_request_id=f"ws_CO_SEEDED_{index}"
            )
        await unit.commit()


async def payments(uow: Units) -> list[tuple[Any, ...]]:
    async with uow() as unit:
        found = [
            await unit.payments.by_checkout_request_id(f"ws_CO_SEEDED_{index}")
            for index in range(SEEDED)
        ]
    return [astuple(payment) for payment in found if payment is not None]


async def test_a_thousand_fuzzed_callbacks_give_no_5xx_change_no_payment_and_are_all_kept(
    aiohttp_client: AiohttpClient, uow: Units
) -> None:
    await seed(uow)
    before = await payments(uow)
    assert len(before) == SEEDED
    settlement = SettlementService(uow, clock=lambda: NOW, staff=StaffChat("staff"))
    client = await aiohttp_client(create_app(WebhookConfig(SettlementBatcher(settlement), SECRET)))
    rng = random.Random(20261203)
    bodies = [fuzzed_body(rng) for _ in range(BODIES)]
    gate = asyncio.Semaphore(25)

    async def post(body: bytes) -> int:
        async with gate:
            response = await client.post(PATH, data=body)
            await response.read()
            return response.status

    statuses = Counter(await asyncio.gather(*(post(body) for body in bodies)))

    assert not [status for status in statuses if status >= 500], statuses
    assert set(statuses) <= {200, 400}, statuses
    assert statuses[400] > BODIES // 2  # the fuzzing did produce malformed bodies
    assert await payments(uow) == before
    async with uow() as unit:
        kept = await unit.callback_bodies.recent(limit=2 * BODIES)
    assert Counter(body.received.body for body in kept) == Counter(bodies)
    refused = [body for body in kept if body.status.needs_replay]
    assert len(refused) == statuses[400]
