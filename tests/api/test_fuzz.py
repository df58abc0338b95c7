"""The orders API under Schemathesis: requests generated from its own OpenAPI description.

Run against the whole application on a real socket, on both databases, with valid and
invalid data for every operation: no answer is a 5xx, and every answer has a status,
content type and body the description allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pytest_aiohttp import AiohttpClient
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from checkout.domain.records import PaymentStatus
from storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import AUTH, NOW, build_app
from tests.staff.seeding import Seed, seed
from webhook.openapi import openapi_document

SCHEMA = schemathesis.openapi.from_dict(openapi_document("https://lipa.example"))
OPERATIONS = {
    result.ok().definition.raw["operationId"]: result.ok()
    for result in SCHEMA.get_all_operations()
    if isinstance(result, Ok)
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 200  # per operation, mode and database: a few seconds each


def test_every_operation_of_the_description_is_fuzzed() -> None:
    assert set(OPERATIONS) == {
        "createOrder",
        "getOrder",
        "listSettledPayments",
        "getOpenApi",
        "listOrders",
        "changeOrder",
        "cancelOrder",
        "listOrderPlans",
        "getPlan",
    }


# The description's own route has no input that could be invalid.
RUNS = [
    (operation_id, mode)
    for operation_id in sorted(OPERATIONS)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if (operation_id, mode) != ("getOpenApi", GenerationMode.NEGATIVE)
]


@pytest.mark.parametrize(("operation_id", "mode"), RUNS)
async def test_generated_requests_get_no_5xx_and_answers_the_description_allows(
    aiohttp_client: AiohttpClient,
    uow: Callable[[], SqlUnitOfWork],
    operation_id: str,
    mode: GenerationMode,
) -> None:
    client = await aiohttp_client(build_app(uow))
    # Orders and settled payments to find, so answers carry real bodies to check.
    for n, status in enumerate([PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.PAID]):
        at = NOW - timedelta(minutes=n)
        await seed(uow, Seed(f"FZ-{n}", 100 + n, status, at, receipt=f"FZR{n}A"))
    base_url = str(client.make_url("/api"))
    operation = OPERATIONS[operation_id]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Case) -> None:
        case.call_and_validate(base_url=base_url, headers=AUTH, checks=CHECKS, timeout=10)

    # Hypothesis and Schemathesis's client run in a thread; the server answers on this loop.
    await asyncio.to_thread(fuzz)
