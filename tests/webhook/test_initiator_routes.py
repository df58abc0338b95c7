"""The Result and QueueTimeOut routes: secret, allowlist, every body kept, each answer once."""

from __future__ import annotations

import json
from ipaddress import ip_network
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.domain.records import BodyStatus
from checkout.payments.batching import SettlementBatcher
from checkout.payments.settling.settle import SettlementService, StaffChat
from storage.database import session_factory
from storage.models import CallbackBodyRow
from tests.till.verify_world import VerifyWorld
from tests.till.world import UowFactory
from webhook.app import WebhookConfig, create_app
from webhook.initiator import (
    InitiatorResultHandler,
    looks_like_initiator_answer,
    replay_initiator_answer,
)
from webhook.mpesa import SourceCheck

SECRET = "result-secret"
CODE = "QK12ABC3DE"


def result_body(conversation: str, amount: int = 1500, code: Any = 0) -> dict[str, Any]:
    return {
        "Result": {
            "ResultType": 0,
            "ResultCode": code,
            "ResultDesc": "The service request is processed successfully.",
            "OriginatorConversationID": "29115-1",
            "ConversationID": conversation,
            "TransactionID": "OEI2AK4Q16",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "ReceiptNo", "Value": CODE},
                    {"Key": "Amount", "Value": float(amount)},
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "DebitPartyName", "Value": "254712345678 - JOHN DOE"},
                    {"Key": "CreditPartyName", "Value": "174379 - WILDWASH"},
                    {"Key": "FinalisedTime", "Value": 20261204081502},
                ]
            },
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion"}},
        }
    }


@pytest.fixture
def world(uow: UowFactory, engine: AsyncEngine) -> VerifyWorld:
    return VerifyWorld(uow, session_factory(engine))


async def make_client(
    aiohttp_client: AiohttpClient, world: VerifyWorld, sources: SourceCheck | None = None
) -> TestClient[Any, Any]:
    settlement = SettlementService(world.uow, clock=world.clock, staff=StaffChat("-100"))
    results = InitiatorResultHandler(world.desk, settlement.bodies, SECRET, sources)
    config = WebhookConfig(SettlementBatcher(settlement), "callback-secret", initiator=results)
    return await aiohttp_client(create_app(config))


async def kept(world: VerifyWorld) -> list[tuple[str, str | None]]:
    async with world.uow() as unit:
        rows = await unit.session.scalars(select(CallbackBodyRow).order_by(CallbackBodyRow.id))
        return [(row.status, row.note) for row in rows]


async def test_a_result_credits_once_and_every_copy_is_kept(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    await world.order("WW-1042", 1500)
    customer = await world.telegram_customer()
    await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
    for _ in range(2):
        answer = await client.post(f"/hooks/result/{SECRET}", json=result_body("AG_2026_0001"))
        assert answer.status == 200
        assert await answer.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert (await world.order_now("WW-1042")).amount_paid == 1500
    assert [status for status, _ in await kept(world)] == [BodyStatus.SETTLED.value] * 2


async def test_a_timeout_is_kept_and_makes_the_request_due_again(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    await world.order("WW-1042", 1500)
    customer = await world.telegram_customer()
    await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
    body = {"Result": {"ResultType": 1, "ResultCode": 1, "ConversationID": "AG_2026_0001"}}
    answer = await client.post(f"/hooks/timeout/{SECRET}", json=body)
    assert answer.status == 200
    world.later(16)
    assert await world.desk.run_due() == 1
    assert len(world.gateway.asked) == 2
    assert (await world.order_now("WW-1042")).amount_paid == 0


async def test_a_wrong_secret_is_not_found_and_keeps_nothing(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    answer = await client.post("/hooks/result/guess", json=result_body("AG_2026_0001"))
    assert answer.status == 404
    assert await kept(world) == []


async def test_a_caller_outside_the_allowlist_is_refused(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    sources = SourceCheck(networks=(ip_network("196.201.214.0/24"),))
    client = await make_client(aiohttp_client, world, sources)
    answer = await client.post(f"/hooks/result/{SECRET}", json=result_body("AG_2026_0001"))
    assert answer.status == 403
    assert await kept(world) == []


async def test_a_malformed_result_is_refused_and_kept_for_a_look(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    answer = await client.post(f"/hooks/result/{SECRET}", data=json.dumps({"Result": "x"}))
    assert answer.status == 400
    assert [status for status, _ in await kept(world)] == [BodyStatus.REFUSED.value]


async def test_a_result_for_no_request_is_accepted_and_kept_as_unknown(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    answer = await client.post(f"/hooks/result/{SECRET}", json=result_body("AG_UNKNOWN"))
    assert answer.status == 200
    assert [status for status, _ in await kept(world)] == [BodyStatus.UNKNOWN.value]


async def test_a_kept_result_replays_once_and_credits_nothing_twice(
    aiohttp_client: AiohttpClient, world: VerifyWorld
) -> None:
    client = await make_client(aiohttp_client, world)
    await world.order("WW-1042", 1500)
    customer = await world.telegram_customer()
    await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
    await client.post(f"/hooks/result/{SECRET}", json=result_body("AG_2026_0001"))
    settlement = SettlementService(world.uow, clock=world.clock, staff=StaffChat("-100"))
    (body_id,) = [kept_body.id for kept_body in await settlement.bodies.recent()]
    kept_body = await settlement.bodies.get(body_id)
    assert kept_body is not None
    assert looks_like_initiator_answer(kept_body)
    taken, line = await replay_initiator_answer(world.desk, settlement.bodies, body_id)
    assert taken
    assert "credited" in line
    assert (await world.order_now("WW-1042")).amount_paid == 1500
