"""STK Push Query: final results, both in-progress shapes, retries and errors."""

from __future__ import annotations

import httpx
import pytest

from daraja.client import DarajaClient
from daraja.errors import DarajaApiError, DarajaProtocolError, DarajaUnavailable, Operation
from daraja.models import StkQueryPending, StkQueryResult
from daraja.result_codes import ResultCode
from tests.daraja.fakes import QUERY_PATH, FakeDaraja, daraja_error, query_answer


async def test_final_answer_carries_the_result_code_as_an_int(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.query_answers.append(query_answer("1032", "Request cancelled by user"))
    result = await client.stk_query("ws_CO_1")
    assert result == StkQueryResult(
        merchant_request_id="m-q",
        checkout_request_id="ws_CO_1",
        result_code=1032,
        result_desc="Request cancelled by user",
    )
    assert isinstance(result, StkQueryResult)
    assert result.known_code is ResultCode.CANCELLED
    assert not result.paid


async def test_the_outcome_comes_from_the_code_never_from_the_text(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.query_answers.append(query_answer("0", "failed, or so the text says"))
    fake.query_answers.append(query_answer("1", "processed successfully"))
    paid = await client.stk_query("ws_CO_1")
    unpaid = await client.stk_query("ws_CO_1")
    assert isinstance(paid, StkQueryResult)
    assert paid.paid
    assert isinstance(unpaid, StkQueryResult)
    assert unpaid.result_code == 1


async def test_an_unlisted_code_is_still_a_result(fake: FakeDaraja, client: DarajaClient) -> None:
    fake.query_answers.append(query_answer("8888"))
    result = await client.stk_query("ws_CO_1")
    assert isinstance(result, StkQueryResult)
    assert (result.result_code, result.known_code) == (8888, None)


@pytest.mark.parametrize(
    "answer",
    [
        daraja_error(500, "500.001.1001", "The transaction is being processed"),
        query_answer("4999", "The transaction is still under processing"),
    ],
)
async def test_both_in_progress_shapes_mean_ask_again_later(
    fake: FakeDaraja, client: DarajaClient, answer: httpx.Response
) -> None:
    fake.query_answers.append(answer)
    assert await client.stk_query("ws_CO_9") == StkQueryPending("ws_CO_9")
    assert fake.count(QUERY_PATH) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("disconnected"),
        daraja_error(500, "500.003.02", "System is busy"),
        httpx.Response(503, text="<html>unavailable</html>"),
    ],
)
async def test_transient_failures_are_retried_with_backoff(
    fake: FakeDaraja, client: DarajaClient, sleeps: list[float], failure: httpx.Response | Exception
) -> None:
    fake.query_answers.extend([failure, failure, query_answer("0")])
    result = await client.stk_query("ws_CO_1")
    assert isinstance(result, StkQueryResult)
    assert result.paid
    assert fake.count(QUERY_PATH) == 3
    assert sleeps == [0.1, 0.2]


async def test_transport_failures_end_unavailable_after_bounded_tries(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.query_answers.extend(httpx.ReadTimeout("timed out") for _ in range(5))
    with pytest.raises(DarajaUnavailable):
        await client.stk_query("ws_CO_1")
    assert fake.count(QUERY_PATH) == 3


async def test_server_errors_end_with_the_last_api_error(
    fake: FakeDaraja, client: DarajaClient
) -> None:
    fake.query_answers.extend(daraja_error(500, "500.003.02", "busy") for _ in range(5))
    with pytest.raises(DarajaApiError) as caught:
        await client.stk_query("ws_CO_1")
    assert caught.value.is_system_busy
    assert caught.value.operation is Operation.STK_QUERY
    assert fake.count(QUERY_PATH) == 3


@pytest.mark.parametrize(
    ("answer", "flag"),
    [
        (
            daraja_error(400, "400.002.02", "Bad Request - Invalid CheckoutRequestID"),
            "is_bad_request",
        ),
        (daraja_error(500, "500.003.03", "Quota exceeded"), "is_quota_exceeded"),
    ],
)
async def test_refusals_are_not_retried(
    fake: FakeDaraja, client: DarajaClient, answer: httpx.Response, flag: str
) -> None:
    fake.query_answers.append(answer)
    with pytest.raises(DarajaApiError) as caught:
        await client.stk_query("ws_CO_1")
    assert getattr(caught.value, flag)
    assert fake.count(QUERY_PATH) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"ResponseCode": "0"}),
        httpx.Response(200, json={"ResultCode": "zero"}),
        httpx.Response(200, json={"ResultCode": True}),
    ],
)
async def test_an_undocumented_answer_is_a_protocol_error(
    fake: FakeDaraja, client: DarajaClient, answer: httpx.Response
) -> None:
    fake.query_answers.append(answer)
    with pytest.raises(DarajaProtocolError):
        await client.stk_query("ws_CO_1")
