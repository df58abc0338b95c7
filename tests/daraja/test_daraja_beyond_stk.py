"""C2B, Pull and the initiator calls against a scripted Daraja (httpx.MockTransport): the
bodies sent, the answers read, and which failures are retried and which never resent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from daraja import (
    DarajaApiError,
    DarajaClient,
    DarajaConfig,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    Initiator,
    InitiatorAccepted,
    Operation,
    OutcomeUnknown,
    PullEntry,
    RetryPolicy,
    Secret,
    TransactionType,
)
from daraja.initiator_calls import B2C_PATH, REVERSAL_PATH, TRANSACTION_STATUS_PATH
from daraja.signing import NAIROBI
from daraja.statement_calls import (
    C2B_REGISTER_PATH,
    C2B_SIMULATE_PATH,
    PULL_QUERY_PATH,
    PULL_REGISTER_PATH,
)
from tests.daraja.fakes import SHORTCODE, FakeDaraja, daraja_error

INITIATOR = Initiator("apiop37", Secret("ENCRYPTED-CREDENTIAL=="))
RESULT_URL = "https://lipa.example.com/hooks/result/s3cret"
TIMEOUT_URL = "https://lipa.example.com/hooks/timeout/s3cret"


def accepted(originator: str = "5118-111210482-1", conversation: str = "AG_1") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "OriginatorConversationID": originator,
            "ConversationID": conversation,
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        },
    )


def pull_answer(entries: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "ResponseRefID": "ref-1",
            "ResponseCode": "1000",
            "ResponseMessage": "Success",
            "Response": [entries],
        },
    )


def pull_row(number: int, amount: Any = "100.00") -> dict[str, Any]:
    return {
        "transactionId": f"SL{number:08d}",
        "trxDate": "2026-12-01T10:13:00.000+03:00",
        "msisdn": 722000000 + number,
        "sender": "JOHN DOE",
        "transactiontype": "c2b-pay-bill-debit",
        "billreference": f"WW-{1000 + number}",
        "amount": amount,
        "organizationname": "Lipa Laundry",
    }


async def transaction_status(client: DarajaClient, **changes: Any) -> InitiatorAccepted:
    arguments: dict[str, Any] = {
        "transaction_id": "NLJ7RT61SV",
        "result_url": RESULT_URL,
        "timeout_url": TIMEOUT_URL,
    }
    arguments.update(changes)
    return await client.transaction_status(INITIATOR, **arguments)


async def reversal(client: DarajaClient) -> InitiatorAccepted:
    return await client.reversal(
        INITIATOR,
        transaction_id="NLJ7RT61SV",
        amount=500,
        result_url=RESULT_URL,
        timeout_url=TIMEOUT_URL,
        remarks="Refund WW-1042",
    )


class TestTransactionStatus:
    async def test_the_request_has_daraja_fields_and_the_answer_is_read(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(TRANSACTION_STATUS_PATH, accepted())
        answer = await transaction_status(client, originator_conversation_id="lipa-ts-1")
        assert answer == InitiatorAccepted(
            "5118-111210482-1", "AG_1", "0", "Accept the service request successfully."
        )
        assert fake.bodies(TRANSACTION_STATUS_PATH) == [
            {
                "Initiator": "apiop37",
                "SecurityCredential": "ENCRYPTED-CREDENTIAL==",
                "CommandID": "TransactionStatusQuery",
                "TransactionID": "NLJ7RT61SV",
                "PartyA": SHORTCODE,
                "IdentifierType": "4",
                "ResultURL": RESULT_URL,
                "QueueTimeOutURL": TIMEOUT_URL,
                "Remarks": "Status",
                "Occasion": "",
                "OriginatorConversationID": "lipa-ts-1",
            }
        ]

    async def test_it_moves_no_money_so_timeouts_and_spike_arrest_are_retried(
        self, client: DarajaClient, fake: FakeDaraja, sleeps: list[float]
    ) -> None:
        fake.answer(
            TRANSACTION_STATUS_PATH,
            httpx.ReadTimeout("slow"),
            daraja_error(500, "500.003.02", "System is busy"),
            accepted(),
        )
        assert (await transaction_status(client)).conversation_id == "AG_1"
        assert fake.count(TRANSACTION_STATUS_PATH) == 3
        assert sleeps == [0.1, 0.2]

    async def test_a_revoked_token_is_refreshed_once(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        await client.check_credentials()
        fake.revoke()
        fake.answer(TRANSACTION_STATUS_PATH, accepted())
        assert (await transaction_status(client)).conversation_id == "AG_1"
        assert fake.count("/oauth/v1/generate") == 2

    async def test_the_usual_first_error_is_an_api_error(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(
            TRANSACTION_STATUS_PATH,
            daraja_error(400, "400.002.02", "Bad Request - Invalid Initiator"),
        )
        with pytest.raises(DarajaApiError) as raised:
            await transaction_status(client)
        assert raised.value.operation is Operation.TRANSACTION_STATUS
        assert raised.value.is_bad_request

    async def test_a_non_zero_response_code_is_a_refusal_and_a_shapeless_answer_a_protocol_error(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(
            TRANSACTION_STATUS_PATH,
            httpx.Response(200, json={"ResponseCode": "1", "ResponseDescription": "No"}),
            httpx.Response(200, json={"ResponseCode": "0"}),
        )
        with pytest.raises(DarajaApiError, match="No"):
            await transaction_status(client)
        with pytest.raises(DarajaProtocolError):
            await transaction_status(client)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"transaction_id": "NLJ7 RT61"}, "TransactionID"),
            ({"transaction_id": ""}, "TransactionID"),
            ({"result_url": "https://x.example.com/mpesa/result"}, "ResultURL"),
            ({"timeout_url": "https://x.example.com/hooks/query"}, "QueueTimeOutURL"),
            ({"timeout_url": "not a url"}, "QueueTimeOutURL"),
            ({"remarks": ""}, "Remarks"),
            ({"occasion": "x" * 101}, "Occasion"),
            ({"party_a": "12ab"}, "PartyA"),
        ],
    )
    async def test_bad_fields_are_refused_before_sending(
        self, client: DarajaClient, fake: FakeDaraja, changes: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(DarajaValidationError) as raised:
            await transaction_status(client, **changes)
        assert raised.value.field == field
        assert fake.count(TRANSACTION_STATUS_PATH) == 0


class TestMoneyMovingCalls:
    async def test_a_reversal_sends_daraja_fields(
        self, client: DarajaClient, fake: FakeDaraja, caplog: pytest.LogCaptureFixture
    ) -> None:
        fake.answer(REVERSAL_PATH, accepted())
        with caplog.at_level("DEBUG"):
            assert (await reversal(client)).originator_conversation_id == "5118-111210482-1"
        logged = " ".join(record.getMessage() for record in caplog.records)
        assert "AG_1" in logged
        assert "ENCRYPTED" not in logged
        (body,) = fake.bodies(REVERSAL_PATH)
        assert body["CommandID"] == "TransactionReversal"
        assert body["Amount"] == 500
        assert body["ReceiverParty"] == SHORTCODE
        assert body["RecieverIdentifierType"] == "11"
        assert body["Initiator"] == "apiop37"

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.ReadTimeout("slow"),
            httpx.RemoteProtocolError("dropped"),
            httpx.Response(503, text="<html>gateway</html>"),
            httpx.Response(200, text="not json"),
            httpx.Response(200, json={"ResponseCode": "0"}),
        ],
    )
    async def test_a_reversal_of_unknown_outcome_is_never_resent(
        self, client: DarajaClient, fake: FakeDaraja, answer: Any
    ) -> None:
        fake.answer(REVERSAL_PATH, answer, accepted())
        with pytest.raises(OutcomeUnknown) as raised:
            await reversal(client)
        assert raised.value.operation is Operation.REVERSAL
        assert fake.count(REVERSAL_PATH) == 1

    async def test_a_reversal_that_never_connected_is_sent_again(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(REVERSAL_PATH, httpx.ConnectError("refused"), accepted())
        assert (await reversal(client)).conversation_id == "AG_1"
        assert fake.count(REVERSAL_PATH) == 2

    async def test_a_reversal_never_connected_at_all_is_unavailable(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(REVERSAL_PATH, *[httpx.ConnectError("refused")] * 3)
        with pytest.raises(DarajaUnavailable):
            await reversal(client)

    async def test_a_refused_reversal_is_an_api_error_not_resent(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(REVERSAL_PATH, daraja_error(500, "500.003.02", "System is busy"))
        with pytest.raises(DarajaApiError) as raised:
            await reversal(client)
        assert raised.value.is_system_busy
        assert fake.count(REVERSAL_PATH) == 1

    async def test_a_b2c_payment_sends_our_conversation_id_and_the_phone(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(B2C_PATH, accepted(originator="lipa-refund-7"))
        answer = await client.b2c_payment(
            INITIATOR,
            originator_conversation_id="lipa-refund-7",
            b2c_shortcode="600999",
            phone="0712 345 678",
            amount=250,
            remarks="Refund",
            occasion="WW-1042",
            result_url=RESULT_URL,
            timeout_url=TIMEOUT_URL,
        )
        assert answer.originator_conversation_id == "lipa-refund-7"
        (body,) = fake.bodies(B2C_PATH)
        assert body == {
            "OriginatorConversationID": "lipa-refund-7",
            "InitiatorName": "apiop37",
            "SecurityCredential": "ENCRYPTED-CREDENTIAL==",
            "CommandID": "BusinessPayment",
            "Amount": 250,
            "PartyA": "600999",
            "PartyB": "254712345678",
            "Remarks": "Refund",
            "QueueTimeOutURL": TIMEOUT_URL,
            "ResultURL": RESULT_URL,
            "Occasion": "WW-1042",
        }

    async def test_a_b2c_payment_with_a_bad_command_or_amount_is_refused(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        arguments: dict[str, Any] = {
            "originator_conversation_id": "o-1",
            "b2c_shortcode": "600999",
            "phone": "0712345678",
            "amount": 250,
            "remarks": "Refund",
            "occasion": "",
            "result_url": RESULT_URL,
            "timeout_url": TIMEOUT_URL,
        }
        with pytest.raises(DarajaValidationError, match="CommandID"):
            await client.b2c_payment(INITIATOR, **arguments, command_id="Steal")
        with pytest.raises(DarajaValidationError, match="Amount"):
            await client.b2c_payment(INITIATOR, **{**arguments, "amount": 10.5})
        assert fake.count(B2C_PATH) == 0


class TestC2B:
    async def test_registration_sends_v2_fields_and_returns_the_answer(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        answer = {
            "OriginatorCoversationID": "7619-3",
            "ResponseCode": "0",
            "ResponseDescription": "Success",
        }
        fake.answer(C2B_REGISTER_PATH, httpx.Response(200, json=answer))
        got = await client.register_c2b_urls(
            confirmation_url="https://lipa.example.com/hooks/c2b/confirm/s3cret",
            validation_url="https://lipa.example.com/hooks/c2b/validate/s3cret",
        )
        assert got == answer
        assert fake.bodies(C2B_REGISTER_PATH) == [
            {
                "ShortCode": SHORTCODE,
                "ResponseType": "Completed",
                "ConfirmationURL": "https://lipa.example.com/hooks/c2b/confirm/s3cret",
                "ValidationURL": "https://lipa.example.com/hooks/c2b/validate/s3cret",
            }
        ]

    async def test_registration_refuses_words_daraja_refuses_and_reports_refusals(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        with pytest.raises(DarajaValidationError, match="M-Pesa"):
            await client.register_c2b_urls(
                confirmation_url="https://lipa.example.com/mpesa/confirm",
                validation_url="https://lipa.example.com/hooks/v",
            )
        with pytest.raises(DarajaValidationError, match="ResponseType"):
            await client.register_c2b_urls(
                confirmation_url="https://lipa.example.com/hooks/c",
                validation_url="https://lipa.example.com/hooks/v",
                response_type="Maybe",
            )
        fake.answer(
            C2B_REGISTER_PATH,
            httpx.Response(200, json={"ResponseCode": "1", "ResponseDescription": "Duplicate"}),
        )
        with pytest.raises(DarajaApiError) as raised:
            await client.register_c2b_urls(
                confirmation_url="https://lipa.example.com/hooks/c",
                validation_url="https://lipa.example.com/hooks/v",
            )
        assert raised.value.operation is Operation.C2B_REGISTER

    async def test_simulate_pays_the_paybill_or_the_till_once(
        self, http: httpx.AsyncClient, fake: FakeDaraja, retry: RetryPolicy
    ) -> None:
        till = DarajaConfig(
            consumer_key="test-key",
            consumer_secret=Secret("test-consumer-secret-do-not-log"),
            business_shortcode=SHORTCODE,
            passkey=Secret("p"),
            transaction_type=TransactionType.TILL,
            party_b="174380",
        )
        client = DarajaClient(http, till, retry=retry)
        ok = {"ConversationID": "AG_2", "ResponseCode": "0", "ResponseDescription": "Accepted"}
        fake.answer(C2B_SIMULATE_PATH, httpx.Response(200, json=ok), httpx.ReadTimeout("slow"))
        await client.simulate_c2b(phone="0712345678", amount=100, bill_ref="")
        assert fake.bodies(C2B_SIMULATE_PATH)[0] == {
            "ShortCode": "174380",
            "CommandID": "CustomerBuyGoodsOnline",
            "Amount": 100,
            "Msisdn": "254712345678",
            "BillRefNumber": "",
        }
        with pytest.raises(OutcomeUnknown):
            await client.simulate_c2b(phone="0712345678", amount=100, bill_ref="x")
        assert fake.count(C2B_SIMULATE_PATH) == 2

    async def test_a_paybill_simulation_needs_an_account(self, client: DarajaClient) -> None:
        with pytest.raises(DarajaValidationError, match="BillRefNumber"):
            await client.simulate_c2b(phone="0712345678", amount=100, bill_ref="")


class TestPull:
    async def test_registration_sends_the_nominated_number_in_local_form(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        answer = {"ResponseRefID": "1", "ResponseStatus": "1001", "ResponseDescription": "ok"}
        fake.answer(PULL_REGISTER_PATH, httpx.Response(200, json=answer))
        assert (
            await client.register_pull(
                nominated_number="+254 712 345 678",
                callback_url="https://lipa.example.com/hooks/pull/s3cret",
            )
            == answer
        )
        assert fake.bodies(PULL_REGISTER_PATH)[0] == {
            "ShortCode": SHORTCODE,
            "RequestType": "Pull",
            "NominatedNumber": "0712345678",
            "CallBackURL": "https://lipa.example.com/hooks/pull/s3cret",
        }

    async def test_every_page_is_read_until_an_empty_one(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(
            PULL_QUERY_PATH,
            pull_answer([pull_row(1), pull_row(2)]),
            httpx.ReadTimeout("slow"),  # a query: retried
            pull_answer([pull_row(3)]),
            pull_answer([]),
        )
        start = datetime(2026, 12, 1, 5, 0, tzinfo=NAIROBI)
        entries = await client.pull_transactions(start=start, end=start + timedelta(hours=3))
        assert [entry.transaction_id for entry in entries] == [
            "SL00000001",
            "SL00000002",
            "SL00000003",
        ]
        assert entries[0] == PullEntry(
            transaction_id="SL00000001",
            time=datetime(2026, 12, 1, 10, 13, tzinfo=NAIROBI),
            msisdn="722000001",
            sender="JOHN DOE",
            transaction_type="c2b-pay-bill-debit",
            bill_reference="WW-1001",
            amount=100,
            organization_name="Lipa Laundry",
        )
        bodies = fake.bodies(PULL_QUERY_PATH)
        assert [body["OffSetValue"] for body in bodies] == ["0", "2", "2", "3"]
        assert bodies[0]["StartDate"] == "2026-12-01 05:00:00"
        assert bodies[0]["EndDate"] == "2026-12-01 08:00:00"

    async def test_a_page_that_repeats_ends_the_walk(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        fake.answer(PULL_QUERY_PATH, pull_answer([pull_row(1)]), pull_answer([pull_row(1)]))
        start = datetime(2026, 12, 1, 2, 0, tzinfo=NAIROBI)
        entries = await client.pull_transactions(start=start, end=start + timedelta(hours=1))
        assert len(entries) == 1
        assert fake.count(PULL_QUERY_PATH) == 2

    async def test_a_refusal_a_bad_entry_and_bad_windows(
        self, client: DarajaClient, fake: FakeDaraja
    ) -> None:
        start = datetime(2026, 12, 1, 2, 0, tzinfo=NAIROBI)
        end = start + timedelta(hours=1)
        refusal = {
            "ResponseRefID": "r",
            "ResponseCode": "1001",
            "ResponseMessage": "Not registered",
        }
        fake.answer(
            PULL_QUERY_PATH,
            httpx.Response(200, json=refusal),
            pull_answer([pull_row(1, amount="10.50")]),
        )
        with pytest.raises(DarajaApiError, match="Not registered"):
            await client.pull_transactions(start=start, end=end)
        with pytest.raises(DarajaProtocolError, match="whole"):
            await client.pull_transactions(start=start, end=end)
        with pytest.raises(DarajaValidationError):
            await client.pull_transactions(start=end, end=start)
        with pytest.raises(DarajaValidationError):
            await client.pull_transactions(start=start.replace(tzinfo=None), end=end)
