"""The OpenAPI document matches the routes: a walk of the spec against the running API.

For every documented operation the test checks that the route exists (and nothing undocumented
does), that a valid request gets a documented success whose body fits the schema, that the
security requirement is enforced, that each documented parameter and body property is required
and constrained as documented, and that every documented status code is actually produced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import ClientResponse

from checkout.domain.records import PaymentStatus
from checkout.platform.orders import OrderService
from storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import AUTH, NOW, Client
from tests.api.schema import errors, resolve
from tests.bnpl.conftest import seed_active_plan
from tests.staff.seeding import Seed, seed
from webhook.api import OrdersApi

UowFactory = Callable[[], SqlUnitOfWork]
METHODS = ("get", "post", "put", "patch", "delete")

# A valid value for every parameter and body property, by where it goes and its name.
EXAMPLES: dict[tuple[str, str], Any] = {
    ("path", "reference"): "WW-1",
    ("query", "since"): "2026-01-01T00:00:00Z",
    ("query", "limit"): "2",
    ("query", "cursor"): None,  # taken from a first page at run time
    ("body", "reference"): "NEW-1",
    ("body", "amount"): 1500,
    ("body", "customer_phone"): "0712345678",
    ("body", "description"): "Duvet wash",
    ("query", "status"): "open",
    ("query", "before"): "2030-01-01T00:00:00Z",
    ("path", "id"): None,  # the seeded plan's id, taken at run time
}
# Where one operation needs its own valid value: changing and cancelling need an order no
# money moved on (WW-1 is part paid).
OPERATION_EXAMPLES: dict[tuple[str, str, str], Any] = {
    ("changeOrder", "path", "reference"): "WW-3",
    ("cancelOrder", "path", "reference"): "WW-4",
    ("listOrderPlans", "path", "reference"): "WW-5",
}


@dataclass(frozen=True)
class Call:
    """One request to the API, described by its parts."""

    method: str
    path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    authorised: bool = True

    async def send(self, client: Client) -> tuple[ClientResponse, Any]:
        url = "/api" + self.path
        for name, value in self.path_params.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        headers = dict(AUTH) if self.authorised else {}
        data = None
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(self.body)
        response = await client.request(
            self.method.upper(), url, params=self.query, data=data, headers=headers
        )
        return response, await response.json()


@dataclass
class Operation:
    """A documented operation and what the walk saw it answer."""

    path: str
    method: str
    spec: dict[str, Any]
    seen: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.spec["operationId"])


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(path, method, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def bad_values(schema: dict[str, Any], *, in_query: bool) -> list[Any]:
    """Values that break one documented rule of ``schema`` each."""
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    values: list[Any] = []
    if "integer" in types:
        values.append("x")
        if "minimum" in schema:
            values.append(schema["minimum"] - 1)
        if "maximum" in schema:
            values.append(schema["maximum"] + 1)
    if "string" in types:
        if not in_query:
            values.append(12)
        if "pattern" in schema:
            values.append("!!")
        if "maxLength" in schema:
            values.append("x" * (schema["maxLength"] + 1))
        if schema.get("format") == "date-time":
            values.append("not-a-time")
    if in_query:
        values = [str(value) for value in values]
    return values


class Walk:
    """The document, the client, and checks that record the statuses seen."""

    def __init__(self, client: Client, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document

    async def expect(self, operation: Operation, call: Call, status: int) -> Any:
        response, body = await call.send(self.client)
        assert response.status == status, (operation.name, call, body)
        documented = operation.spec["responses"].get(str(status))
        assert documented is not None, f"{operation.name} answered undocumented {status}"
        schema = documented["content"]["application/json"]["schema"]
        problems = errors(body, schema, self.document)
        assert problems == [], (operation.name, status, problems)
        operation.seen.add(str(status))
        return body

    def valid_call(self, operation: Operation) -> Call:
        path_params: dict[str, str] = {}
        query: dict[str, str] = {}
        for parameter in operation.spec.get("parameters", []):
            key = (parameter["in"], parameter["name"])
            assert key in EXAMPLES, f"no example for documented parameter {key}"
            value = OPERATION_EXAMPLES.get((operation.name, *key), EXAMPLES[key])
            if value is None:
                continue
            if parameter["in"] == "path":
                path_params[parameter["name"]] = value
            else:
                query[parameter["name"]] = value
        body = None
        request = operation.spec.get("requestBody")
        if request is not None:
            schema = resolve(request["content"]["application/json"]["schema"], self.document)
            body = {}
            for name in schema["properties"]:
                assert ("body", name) in EXAMPLES, f"no example for body property {name}"
                body[name] = EXAMPLES[("body", name)]
        return Call(operation.method, operation.path, path_params, query, body)


@pytest.fixture
async def seeded(uow: UowFactory) -> None:
    """An order with two settled payments, so reads answer full bodies."""
    at = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    await seed(uow, Seed("WW-1", 500, PaymentStatus.PAID, at, receipt="R1A", order_amount=2000))
    await seed(uow, Seed("WW-1", 300, PaymentStatus.CANCELLED, at))
    await seed(uow, Seed("WW-2", 700, PaymentStatus.PAID, at, receipt="R2B"))
    async with uow() as unit:
        for reference in ("WW-3", "WW-4"):
            await unit.order_book.create_if_absent(
                reference, 900, description=None, customer_phone=None, now=at
            )
        await unit.commit()
    await seed_active_plan(uow, reference="WW-5", chat_key="77", phone="254712345678", taken_at=at)


async def test_every_route_is_documented_and_every_documented_route_exists(
    api: Client, uow: UowFactory
) -> None:
    document = await (await api.get("/api/openapi.json")).json()
    documented = {(op.method.upper(), op.path) for op in operations(document)}
    orders = OrdersApi(
        OrderService(uow, clock=lambda: NOW), token="t" * 16, bot_username="b", server_url="x"
    )
    served = {
        (route.method, route.resource.canonical)
        for route in orders.application().router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert documented == served
    assert document["servers"] == [{"url": "https://lipa.example/api"}]


async def test_walking_the_spec_every_operation_behaves_as_documented(
    api: Client, seeded: None
) -> None:
    document = await (await api.get("/api/openapi.json")).json()
    walk = Walk(api, document)
    found = operations(document)
    by_name = {operation.name: operation for operation in found}
    # The cursor parameter needs a real cursor: take one from a first page of one.
    first_page = await Call(
        "get", "/payments", query={"since": "2026-01-01T00:00:00Z", "limit": "1"}
    ).send(api)
    EXAMPLES[("query", "cursor")] = first_page[1]["next_cursor"]
    plans = await Call("get", "/orders/{reference}/plans", {"reference": "WW-5"}).send(api)
    EXAMPLES[("path", "id")] = str(plans[1]["plans"][0]["id"])
    try:
        for operation in found:
            await walk_operation(walk, operation)
        # What a valid request alone cannot show: a repeat, a conflict, an unknown order.
        create = by_name["createOrder"]
        valid = walk.valid_call(create)
        again = await walk.expect(create, valid, 200)
        assert again["reference"] == "NEW-1"
        conflict = await walk.expect(
            create, replace(valid, body={**(valid.body or {}), "amount": 1501}), 409
        )
        assert conflict["error"]["field"] == "amount"
        for name in ("getOrder", "changeOrder", "cancelOrder", "listOrderPlans"):
            operation = by_name[name]
            missing = replace(walk.valid_call(operation), path_params={"reference": "NOPE-1"})
            await walk.expect(operation, missing, 404)
        for name in ("changeOrder", "cancelOrder"):  # WW-1 is part paid
            operation = by_name[name]
            paid = replace(walk.valid_call(operation), path_params={"reference": "WW-1"})
            refused = await walk.expect(operation, paid, 409)
            assert refused["error"]["code"] == "order_paid"
        get_plan = by_name["getPlan"]
        await walk.expect(
            get_plan, replace(walk.valid_call(get_plan), path_params={"id": "999999"}), 404
        )
    finally:
        EXAMPLES[("query", "cursor")] = None
        EXAMPLES[("path", "id")] = None
    for operation in found:
        assert operation.seen == set(operation.spec["responses"]), (
            f"{operation.name}: documented {sorted(operation.spec['responses'])}, "
            f"seen {sorted(operation.seen)}"
        )


async def walk_operation(walk: Walk, operation: Operation) -> None:
    spec = operation.spec
    valid = walk.valid_call(operation)
    successes = sorted(code for code in spec["responses"] if code.startswith("2"))
    assert successes, f"{operation.name} documents no success"
    response, body = await valid.send(walk.client)
    assert str(response.status) in successes, (operation.name, response.status, body)
    schema = spec["responses"][str(response.status)]["content"]["application/json"]["schema"]
    assert errors(body, schema, walk.document) == [], operation.name
    operation.seen.add(str(response.status))

    secured = spec.get("security", walk.document.get("security", []))
    unauthorised = replace(valid, authorised=False)
    if secured:
        answer = await walk.expect(operation, unauthorised, 401)
        assert answer["error"]["field"] is None
    else:
        response, _ = await unauthorised.send(walk.client)
        assert response.status in {int(code) for code in successes}

    for parameter in spec.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        bucket = "path_params" if where == "path" else "query"
        if parameter.get("required") and where == "query":
            without = dict(valid.query)
            without.pop(name, None)
            answer = await walk.expect(operation, replace(valid, query=without), 400)
            assert answer["error"]["field"] == name
        for bad in bad_values(parameter["schema"], in_query=True):
            changed = {**getattr(valid, bucket), name: bad}
            answer = await walk.expect(operation, replace(valid, **{bucket: changed}), 400)
            assert answer["error"]["field"] == name, (name, bad)
    if where_query_is_closed(operation):
        answer = await walk.expect(
            operation, replace(valid, query={**valid.query, "surprise": "1"}), 400
        )
        assert answer["error"]["field"] == "surprise"

    request = spec.get("requestBody")
    if request is None:
        return
    schema = resolve(request["content"]["application/json"]["schema"], walk.document)
    body = valid.body or {}
    for name in schema.get("required", []):
        without = {key: value for key, value in body.items() if key != name}
        answer = await walk.expect(operation, replace(valid, body=without), 400)
        assert answer["error"]["field"] == name
    for name, property_schema in schema["properties"].items():
        for bad in bad_values(property_schema, in_query=False):
            answer = await walk.expect(operation, replace(valid, body={**body, name: bad}), 400)
            assert answer["error"]["field"] == name, (name, bad)
    if schema.get("additionalProperties") is False:
        answer = await walk.expect(operation, replace(valid, body={**body, "surprise": 1}), 400)
        assert answer["error"]["field"] == "surprise"


def where_query_is_closed(operation: Operation) -> bool:
    """Operations with query parameters refuse undocumented ones (the API is strict)."""
    return any(p["in"] == "query" for p in operation.spec.get("parameters", []))
