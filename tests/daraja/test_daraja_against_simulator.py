"""The client against the simulator over real sockets: each test phone's outcome reaches the
callback receiver, queries see the payment in progress then final, tokens are shared and
recovered, and faults are handled as the client promises."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from daraja.callback import parse_callback
from daraja.client import DarajaClient
from daraja.config import DarajaConfig, Secret, TransactionType
from daraja.errors import DarajaApiError, DarajaAuthError, PushOutcomeUnknown
from daraja.models import StkQueryPending, StkQueryResult
from daraja.result_codes import ResultCode
from daraja.retry import RetryPolicy
from daraja.simulator import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_SHORTCODE,
    DEFAULT_TILL,
    Endpoint,
    Fault,
    SimulatorPhone,
    SimulatorServer,
    SimulatorSettings,
)
from daraja.transport import HttpTransport, build_http_client
from lipa_testing.clocks import MonotonicClock
from tests.daraja.fakes import CallbackReceiver


async def test_paying_customer_callback_arrives_and_query_confirms(
    sim_client: DarajaClient, receiver: CallbackReceiver
) -> None:
    accepted = await sim_client.stk_push("0700000001", 350, "WW-1001", "Laundry", receiver.url)
    content_type, body = await receiver.next()
    callback = parse_callback(body)
    assert content_type == "application/json;charset=UTF-8"
    assert callback.checkout_request_id == accepted.checkout_request_id
    assert callback.merchant_request_id == accepted.merchant_request_id
    assert callback.paid
    assert callback.amount == 350
    assert callback.receipt_number
    assert callback.phone == SimulatorPhone.PAYS
    assert callback.transaction_date is not None
    assert str(callback.transaction_date.tzinfo) == "Africa/Nairobi"
    result = await sim_client.stk_query(accepted.checkout_request_id)
    assert isinstance(result, StkQueryResult)
    assert result.paid


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        (SimulatorPhone.CANCELS, ResultCode.CANCELLED),
        (SimulatorPhone.INSUFFICIENT_BALANCE, ResultCode.INSUFFICIENT_BALANCE),
        (SimulatorPhone.NO_ANSWER, ResultCode.NO_ANSWER),
        (SimulatorPhone.WRONG_PIN, ResultCode.WRONG_PIN),
        (SimulatorPhone.SANDBOX, ResultCode.NO_ANSWER),
    ],
)
async def test_each_test_phone_s_outcome_reaches_the_callback_and_the_query(
    sim_client: DarajaClient, receiver: CallbackReceiver, phone: str, code: ResultCode
) -> None:
    accepted = await sim_client.stk_push(phone, 100, "WW-1002", "Laundry", receiver.url)
    callback = parse_callback((await receiver.next())[1])
    assert callback.checkout_request_id == accepted.checkout_request_id
    assert callback.known_code is code
    assert (callback.amount, callback.receipt_number) == (None, None)
    result = await sim_client.stk_query(accepted.checkout_request_id)
    assert isinstance(result, StkQueryResult)
    assert result.result_code == code


async def test_a_number_without_a_role_gets_the_default_result(
    sim_client: DarajaClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    simulator.daraja.default_result = ResultCode.EXPIRED
    await sim_client.stk_push("0112345678", 100, "WW-1003", "Laundry", receiver.url)
    assert parse_callback((await receiver.next())[1]).known_code is ResultCode.EXPIRED


async def test_query_sees_the_payment_in_progress_then_final(
    sim_client: DarajaClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    phone = SimulatorPhone.HOLDS_PROMPT
    accepted = await sim_client.stk_push(phone, 100, "WW-1004", "Laundry", receiver.url)
    checkout_id = accepted.checkout_request_id
    # The simulator alternates the HTTP 500 and the "4999" shapes: both read as pending.
    for _ in range(2):
        assert await sim_client.stk_query(checkout_id) == StkQueryPending(checkout_id)
    assert simulator.daraja.prompts[checkout_id].pending_answers == 2
    await simulator.daraja.settle(checkout_id, ResultCode.CANCELLED)
    result = await sim_client.stk_query(checkout_id)
    assert isinstance(result, StkQueryResult)
    assert result.known_code is ResultCode.CANCELLED
    assert parse_callback((await receiver.next())[1]).known_code is ResultCode.CANCELLED


async def test_a_second_push_while_one_is_in_process_is_subscriber_locked(
    sim_client: DarajaClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    phone = SimulatorPhone.HOLDS_PROMPT
    await sim_client.stk_push(phone, 100, "WW-1005", "Laundry", receiver.url)
    with pytest.raises(DarajaApiError) as caught:
        await sim_client.stk_push(phone, 100, "WW-1005", "Laundry", receiver.url)
    assert caught.value.is_subscriber_locked
    assert simulator.daraja.counters.push_requests == 2  # refused, and not pushed again
    await simulator.daraja.settle_phone(phone)
    await sim_client.stk_push(phone, 100, "WW-1005", "Laundry", receiver.url)


async def test_the_always_locked_phone_is_subscriber_locked(
    sim_client: DarajaClient, receiver: CallbackReceiver
) -> None:
    with pytest.raises(DarajaApiError) as caught:
        await sim_client.stk_push(SimulatorPhone.ALWAYS_LOCKED, 1, "R", "D", receiver.url)
    assert caught.value.is_subscriber_locked
    assert caught.value.request_id


async def test_200_concurrent_pushes_from_a_cold_start_make_one_token_request(
    sim_client: DarajaClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    simulator.daraja.callback_copies = 0
    phones = [f"07{10_000_000 + i:08d}" for i in range(200)]
    accepted = await asyncio.gather(
        *(sim_client.stk_push(phone, 10, "WW-2000", "Laundry", receiver.url) for phone in phones)
    )
    assert len({a.checkout_request_id for a in accepted}) == 200
    counters = simulator.daraja.counters
    assert counters.token_requests == 1
    assert counters.pushes_accepted == counters.push_requests == 200


async def test_a_token_invalidated_elsewhere_is_refreshed_once_and_the_push_resent(
    sim_client: DarajaClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    await sim_client.stk_push("0711000001", 10, "WW-3000", "Laundry", receiver.url)
    simulator.daraja.revoke_token()
    await sim_client.stk_push("0711000002", 10, "WW-3001", "Laundry", receiver.url)
    counters = simulator.daraja.counters
    assert (counters.token_requests, counters.push_requests, counters.pushes_accepted) == (2, 3, 2)


async def test_an_expiring_token_is_refreshed_before_it_is_refused(
    receiver: CallbackReceiver, sim_config: DarajaConfig, retry: RetryPolicy
) -> None:
    clock = MonotonicClock()
    settings = SimulatorSettings(token_lifetime=600, callback_delay=0.01)
    async with (
        SimulatorServer(settings, monotonic=clock) as server,
        build_http_client(server.base_url) as http,
    ):
        client = DarajaClient(http, sim_config, retry=retry, monotonic=clock)
        await client.stk_push("0711000003", 10, "WW-3002", "Laundry", receiver.url)
        clock.advance(600 - 60)  # inside the refresh margin, still valid on the simulator
        await client.stk_push("0711000004", 10, "WW-3003", "Laundry", receiver.url)
        counters = server.daraja.counters
        assert (counters.token_requests, counters.push_requests) == (2, 2)


async def test_refused_credentials_are_an_auth_error(
    sim_http: httpx.AsyncClient, receiver: CallbackReceiver, simulator: SimulatorServer
) -> None:
    config = DarajaConfig(DEFAULT_CONSUMER_KEY, Secret("wrong"), DEFAULT_SHORTCODE, Secret("p"))
    with pytest.raises(DarajaAuthError):
        await DarajaClient(sim_http, config).stk_push("0711000005", 1, "R", "D", receiver.url)
    assert simulator.daraja.counters.push_requests == 0


async def test_a_wrong_passkey_is_refused_as_wrong_credentials(
    sim_http: httpx.AsyncClient, sim_config: DarajaConfig, receiver: CallbackReceiver
) -> None:
    config = DarajaConfig(
        DEFAULT_CONSUMER_KEY, sim_config.consumer_secret, DEFAULT_SHORTCODE, Secret("not-it")
    )
    with pytest.raises(DarajaApiError) as caught:
        await DarajaClient(sim_http, config).stk_push("0711000006", 1, "R", "D", receiver.url)
    assert (caught.value.status, caught.value.error_code) == (500, "500.001.1001")


async def test_a_till_push_is_accepted(
    sim_http: httpx.AsyncClient, sim_config: DarajaConfig, receiver: CallbackReceiver
) -> None:
    till = DarajaConfig(
        DEFAULT_CONSUMER_KEY,
        sim_config.consumer_secret,
        DEFAULT_SHORTCODE,
        sim_config.passkey,
        TransactionType.TILL,
        party_b=DEFAULT_TILL,
    )
    accepted = await DarajaClient(sim_http, till).stk_push(
        SimulatorPhone.PAYS, 10, "WW-4000", "Laundry", receiver.url
    )
    assert parse_callback((await receiver.next())[1]).checkout_request_id == (
        accepted.checkout_request_id
    )


@pytest.mark.usefixtures("host_timezone")
async def test_pushes_from_a_host_outside_nairobi_pass_the_strict_timestamp_check(
    sim_client: DarajaClient, receiver: CallbackReceiver
) -> None:
    accepted = await sim_client.stk_push("0711000007", 10, "WW-5000", "Laundry", receiver.url)
    assert accepted.response_code == "0"


class TestFaults:
    async def test_a_push_without_an_answer_is_outcome_unknown_and_sent_once(
        self,
        sim_config: DarajaConfig,
        simulator: SimulatorServer,
        receiver: CallbackReceiver,
        http_transport: HttpTransport,
    ) -> None:
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.HANG)
        timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
        async with build_http_client(
            simulator.base_url, timeout=timeout, http_transport=http_transport
        ) as http:
            client = DarajaClient(http, sim_config)
            with pytest.raises(PushOutcomeUnknown):
                await client.stk_push("0711000008", 10, "WW-6000", "Laundry", receiver.url)
        assert simulator.daraja.counters.push_requests == 1
        assert simulator.daraja.counters.pushes_accepted == 0

    async def test_an_accepted_push_whose_answer_is_lost_still_ends_in_a_callback(
        self,
        sim_config: DarajaConfig,
        simulator: SimulatorServer,
        receiver: CallbackReceiver,
        http_transport: HttpTransport,
    ) -> None:
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.ACCEPT_THEN_HANG)
        timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
        async with build_http_client(
            simulator.base_url, timeout=timeout, http_transport=http_transport
        ) as http:
            client = DarajaClient(http, sim_config)
            with pytest.raises(PushOutcomeUnknown):
                await client.stk_push(SimulatorPhone.PAYS, 10, "WW-6001", "Laundry", receiver.url)
        assert parse_callback((await receiver.next())[1]).paid
        assert simulator.daraja.counters.push_requests == 1

    async def test_a_busy_push_is_reported_not_repeated(
        self, sim_client: DarajaClient, simulator: SimulatorServer, receiver: CallbackReceiver
    ) -> None:
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.SYSTEM_BUSY)
        with pytest.raises(DarajaApiError) as caught:
            await sim_client.stk_push("0711000009", 10, "WW-6002", "Laundry", receiver.url)
        assert caught.value.is_system_busy
        assert simulator.daraja.counters.push_requests == 1

    async def test_a_gateway_error_on_a_push_is_outcome_unknown(
        self, sim_client: DarajaClient, simulator: SimulatorServer, receiver: CallbackReceiver
    ) -> None:
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.SERVER_ERROR)
        with pytest.raises(PushOutcomeUnknown):
            await sim_client.stk_push("0711000010", 10, "WW-6003", "Laundry", receiver.url)
        assert simulator.daraja.counters.push_requests == 1

    @pytest.mark.parametrize("fault", [Fault.SYSTEM_BUSY, Fault.SERVER_ERROR])
    async def test_queries_and_token_requests_are_retried_through_faults(
        self,
        sim_client: DarajaClient,
        simulator: SimulatorServer,
        receiver: CallbackReceiver,
        sleeps: list[float],
        fault: Fault,
    ) -> None:
        simulator.daraja.faults.add(Endpoint.TOKEN, fault)
        accepted = await sim_client.stk_push(
            SimulatorPhone.PAYS, 10, "WW-6004", "Laundry", receiver.url
        )
        await receiver.next()
        simulator.daraja.faults.add(Endpoint.STK_QUERY, fault, times=2)
        result = await sim_client.stk_query(accepted.checkout_request_id)
        assert isinstance(result, StkQueryResult)
        assert result.paid
        counters = simulator.daraja.counters
        assert (counters.token_requests, counters.query_requests) == (2, 3)
        assert sleeps == [0.1, 0.1, 0.2]

    async def test_a_hanging_query_is_retried_after_its_timeout(
        self,
        sim_config: DarajaConfig,
        simulator: SimulatorServer,
        receiver: CallbackReceiver,
        http_transport: HttpTransport,
    ) -> None:
        timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
        async with build_http_client(
            simulator.base_url, timeout=timeout, http_transport=http_transport
        ) as http:
            client = DarajaClient(http, sim_config, retry=RetryPolicy(base_delay=0.01))
            accepted = await client.stk_push(
                SimulatorPhone.HOLDS_PROMPT, 10, "WW-6005", "Laundry", receiver.url
            )
            simulator.daraja.faults.add(Endpoint.STK_QUERY, Fault.HANG)
            outcome = await client.stk_query(accepted.checkout_request_id)
        assert outcome == StkQueryPending(accepted.checkout_request_id)
        assert simulator.daraja.counters.query_requests == 2
