"""The simulator beyond STK Push, driven by DarajaClient over real sockets: C2B with validation
and confirmation, Transaction Status, Reversal and B2C with initiator checks and asynchronous
results, Pull over the ledger, and the phones' SMS."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from daraja import (
    C2BRejectCode,
    DarajaApiError,
    DarajaClient,
    Initiator,
    OutcomeUnknown,
    Secret,
    c2b_reject,
    parse_c2b,
    parse_result,
    parse_timeout,
    security_credential,
    transaction_status_details,
)
from daraja.simulator import (
    DEFAULT_B2C_SHORTCODE,
    DEFAULT_INITIATOR_NAME,
    DEFAULT_INITIATOR_PASSWORD,
    DEFAULT_SHORTCODE,
    DEFAULT_TILL,
    Endpoint,
    Fault,
    MsisdnForm,
    SimulatorServer,
    SimulatorSettings,
)
from tests.daraja.fakes import HookReceiver

PHONE = "254712345149"
OTHER_PAYBILL = "600100"
RECEIPT = re.compile(r"[A-Z0-9]{10}")


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    """Fast results, small Pull pages, and a second paybill that is not the client's."""
    return SimulatorSettings(
        callback_delay=0.02,
        result_delay=0.02,
        validation_timeout=0.5,
        pull_page_size=2,
        seed=7,
        hang_seconds=5.0,
        passkeys={DEFAULT_SHORTCODE: "simulator-passkey-0123456789abcdef", OTHER_PAYBILL: "x"},
    )


@pytest.fixture
async def hooks() -> AsyncIterator[HookReceiver]:
    """Lipa's hooks on a free port."""
    receiver = HookReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def initiator(sim_http: httpx.AsyncClient) -> Initiator:
    """The simulator's initiator, its password encrypted with the certificate it serves."""
    response = await sim_http.get("/simulator/certificate")
    assert response.status_code == 200
    return Initiator.from_password(
        DEFAULT_INITIATOR_NAME, DEFAULT_INITIATOR_PASSWORD, response.content
    )


async def pay(http: httpx.AsyncClient, account: str, amount: int = 1500, **more: Any) -> Any:
    response = await http.post(
        "/simulator/c2b/pay", json={"phone": PHONE, "amount": amount, "account": account, **more}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def register(client: DarajaClient, hooks: HookReceiver, **more: Any) -> None:
    await client.register_c2b_urls(
        confirmation_url=hooks.url("c2b-confirm"),
        validation_url=hooks.url("c2b-validate"),
        **more,
    )


async def status_of(
    client: DarajaClient, hooks: HookReceiver, initiator: Initiator, receipt: str
) -> Any:
    accepted = await client.transaction_status(
        initiator,
        transaction_id=receipt,
        result_url=hooks.url("result"),
        timeout_url=hooks.url("timeout"),
        originator_conversation_id="lipa-ts-1",
    )
    result = parse_result(await hooks.next("result"))
    assert result.conversation_id == accepted.conversation_id
    return result


class TestC2B:
    async def test_a_payment_is_validated_then_confirmed_with_a_masked_number(
        self, sim_client: DarajaClient, sim_http: httpx.AsyncClient, hooks: HookReceiver
    ) -> None:
        await register(sim_client, hooks)
        paid = await pay(sim_http, " ww-1042 ")
        assert paid["status"] == "completed"
        assert RECEIPT.fullmatch(paid["transaction_id"])
        validation = parse_c2b(await hooks.next("c2b-validate"))
        confirmation = parse_c2b(await hooks.next("c2b-confirm"))
        for notice in (validation, confirmation):
            assert notice.transaction_id == paid["transaction_id"]
            assert notice.amount == 1500
            assert notice.bill_ref == " ww-1042 "
            assert notice.msisdn == "2547****149"
            assert notice.shortcode == DEFAULT_SHORTCODE
            assert notice.transaction_type == "Pay Bill"
            assert notice.payer_name

    async def test_a_rejected_payment_moves_no_money_and_sends_no_confirmation(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        simulator: SimulatorServer,
    ) -> None:
        await register(sim_client, hooks)
        hooks.answers["c2b-validate"] = c2b_reject(C2BRejectCode.INVALID_ACCOUNT, "Unknown")
        paid = await pay(sim_http, "nonsense")
        assert paid == {"status": "rejected", "result_code": "C2B00012", "result_desc": "Unknown"}
        assert simulator.daraja.ledger.all() == []
        await asyncio.sleep(0.2)
        assert hooks.queue("c2b-confirm").empty()

    @pytest.mark.parametrize(
        ("response_type", "status"), [("Completed", "completed"), ("Cancelled", "cancelled")]
    )
    async def test_a_silent_validation_means_the_registered_response_type(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        response_type: str,
        status: str,
    ) -> None:
        await register(sim_client, hooks, response_type=response_type)
        hooks.delays["c2b-validate"] = 1.0  # beyond the simulator's validation_timeout
        assert (await pay(sim_http, "WW-1"))["status"] == status

    async def test_without_validation_the_hashed_number_is_confirmed_twice_when_told(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        simulator: SimulatorServer,
    ) -> None:
        simulator.daraja.c2b.validation = False
        simulator.daraja.c2b.msisdn_form = MsisdnForm.HASHED
        simulator.daraja.c2b.callback_copies = 2
        await register(sim_client, hooks)
        paid = await pay(sim_http, "WW-2", amount=300)
        first = parse_c2b(await hooks.next("c2b-confirm"))
        second = parse_c2b(await hooks.next("c2b-confirm"))
        assert first == second
        assert first.transaction_id == paid["transaction_id"]
        assert first.msisdn == hashlib.sha256(PHONE.encode()).hexdigest()
        assert hooks.queue("c2b-validate").empty()

    async def test_the_sandbox_simulate_pays_the_till_through_the_same_path(
        self,
        sim_client: DarajaClient,
        hooks: HookReceiver,
        simulator: SimulatorServer,
    ) -> None:
        await register(sim_client, hooks, shortcode=DEFAULT_TILL)
        await sim_client.simulate_c2b(
            phone="0712345149",
            amount=70,
            bill_ref="",
            shortcode=DEFAULT_TILL,
            command_id="CustomerBuyGoodsOnline",
        )
        notice = parse_c2b(await hooks.next("c2b-confirm"))
        assert (notice.amount, notice.shortcode, notice.transaction_type) == (
            70,
            DEFAULT_TILL,
            "Buy Goods",
        )
        assert simulator.daraja.ledger.get(notice.transaction_id) is not None

    async def test_registration_refuses_what_daraja_refuses(
        self, sim_client: DarajaClient, sim_http: httpx.AsyncClient
    ) -> None:
        await sim_client.check_credentials()
        token = sim_client._tokens._token  # the shared token, to send what the client refuses
        response = await sim_http.post(
            "/mpesa/c2b/v2/registerurl",
            json={
                "ShortCode": DEFAULT_SHORTCODE,
                "ResponseType": "Completed",
                "ConfirmationURL": "https://lipa.example.com/mpesa/confirm",
                "ValidationURL": "https://lipa.example.com/hooks/v",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 400
        assert response.json()["errorMessage"] == "Bad Request - Invalid ConfirmationURL"
        with pytest.raises(DarajaApiError, match="ShortCode"):
            await sim_client.register_c2b_urls(
                confirmation_url="https://lipa.example.com/hooks/c",
                validation_url="https://lipa.example.com/hooks/v",
                shortcode="99999",
            )


class TestTransactionStatus:
    async def test_a_paid_receipt_is_described_and_the_phone_got_its_sms(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        initiator: Initiator,
    ) -> None:
        paid = await pay(sim_http, "WW-1042")
        result = await status_of(sim_client, hooks, initiator, paid["transaction_id"])
        assert result.succeeded
        assert result.originator_conversation_id == "lipa-ts-1"
        details = transaction_status_details(result)
        assert details.receipt == paid["transaction_id"]
        assert details.amount == 1500
        assert details.completed
        assert details.credit_shortcode == DEFAULT_SHORTCODE
        assert details.debit_phone == "2547****149"
        assert details.payer_name
        messages = (await sim_http.get(f"/simulator/phones/0{PHONE[3:]}/messages")).json()
        assert messages["msisdn"] == PHONE
        (sms,) = messages["messages"]
        assert sms["text"].startswith(f"{paid['transaction_id']} Confirmed. Ksh1,500.00 sent to")
        assert "WW-1042" in sms["text"]

    async def test_an_stk_success_is_in_the_ledger_too(
        self,
        sim_client: DarajaClient,
        hooks: HookReceiver,
        initiator: Initiator,
        simulator: SimulatorServer,
    ) -> None:
        pushed = await sim_client.stk_push("0700000001", 250, "WW-7", "Order", hooks.url("stk"))
        callback = await hooks.next("stk")
        items = callback["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
        receipt = next(item["Value"] for item in items if item["Name"] == "MpesaReceiptNumber")
        assert simulator.daraja.prompts[pushed.checkout_request_id].receipt_number == receipt
        details = transaction_status_details(await status_of(sim_client, hooks, initiator, receipt))
        assert (details.receipt, details.amount, details.reason_type) == (
            receipt,
            250,
            "Pay Bill Online",
        )

    async def test_a_wrong_password_is_accepted_then_answered_2001(
        self, sim_client: DarajaClient, sim_http: httpx.AsyncClient, hooks: HookReceiver
    ) -> None:
        certificate = (await sim_http.get("/simulator/certificate")).content
        wrong = Initiator.from_password(DEFAULT_INITIATOR_NAME, "guess", certificate)
        paid = await pay(sim_http, "WW-1")
        result = await status_of(sim_client, hooks, wrong, paid["transaction_id"])
        assert result.result_code == 2001
        garbage = Initiator(DEFAULT_INITIATOR_NAME, Secret("bm90IGVuY3J5cHRlZA=="))
        assert (
            await status_of(sim_client, hooks, garbage, paid["transaction_id"])
        ).result_code == 2001
        stranger = Initiator(
            "someone", Secret(security_credential(DEFAULT_INITIATOR_PASSWORD, certificate))
        )
        assert (
            await status_of(sim_client, hooks, stranger, paid["transaction_id"])
        ).result_code == 2001

    async def test_unknown_codes_and_other_shortcodes_payments_are_not_found(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        initiator: Initiator,
    ) -> None:
        result = await status_of(sim_client, hooks, initiator, "SLK0000000")
        assert result.code == "R000002"
        elsewhere = await pay(sim_http, "x", shortcode=OTHER_PAYBILL)
        result = await status_of(sim_client, hooks, initiator, elsewhere["transaction_id"])
        assert result.code == "R000002"

    async def test_a_queue_timeout_goes_to_the_timeout_url(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        initiator: Initiator,
        simulator: SimulatorServer,
    ) -> None:
        simulator.daraja.initiator.time_out_next()
        paid = await pay(sim_http, "WW-1")
        accepted = await sim_client.transaction_status(
            initiator,
            transaction_id=paid["transaction_id"],
            result_url=hooks.url("result"),
            timeout_url=hooks.url("timeout"),
        )
        timeout = parse_timeout(await hooks.next("timeout"))
        assert timeout.conversation_id == accepted.conversation_id
        assert not timeout.succeeded
        assert hooks.queue("result").empty()

    async def test_malformed_requests_are_refused_at_once(
        self, sim_client: DarajaClient, initiator: Initiator, hooks: HookReceiver
    ) -> None:
        with pytest.raises(DarajaApiError) as raised:
            await sim_client.transaction_status(
                initiator,
                transaction_id="SLK0000000",
                result_url=hooks.url("result"),
                timeout_url=hooks.url("timeout"),
                party_a="99999",
            )
        assert raised.value.is_bad_request
        assert raised.value.error_message == "Bad Request - Invalid PartyA"


class TestMoneyBack:
    async def reverse(
        self,
        client: DarajaClient,
        hooks: HookReceiver,
        initiator: Initiator,
        receipt: str,
        amount: int,
    ) -> Any:
        await client.reversal(
            initiator,
            transaction_id=receipt,
            amount=amount,
            result_url=hooks.url("result"),
            timeout_url=hooks.url("timeout"),
            remarks="Refund",
        )
        return parse_result(await hooks.next("result"))

    async def test_a_reversal_completes_once_and_the_payer_is_told(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        initiator: Initiator,
        simulator: SimulatorServer,
    ) -> None:
        paid = await pay(sim_http, "WW-1", amount=800)
        receipt = paid["transaction_id"]
        assert (await self.reverse(sim_client, hooks, initiator, receipt, 500)).code == "R000003"
        done = await self.reverse(sim_client, hooks, initiator, receipt, 800)
        assert done.succeeded
        assert done.parameters["OriginalTransactionID"] == receipt
        assert (await self.reverse(sim_client, hooks, initiator, receipt, 800)).code == "R000001"
        assert simulator.daraja.ledger.get(receipt).status == "Reversed"  # type: ignore[union-attr]
        texts = [
            m["text"]
            for m in (await sim_http.get(f"/simulator/phones/{PHONE}/messages")).json()["messages"]
        ]
        assert texts[-1].startswith(
            f"{done.transaction_id} Confirmed. Transaction {receipt} has been reversed."
        )
        details = transaction_status_details(await status_of(sim_client, hooks, initiator, receipt))
        assert details.status == "Reversed"

    async def test_a_reversal_whose_answer_is_lost_still_happened_and_is_not_resent(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        hooks: HookReceiver,
        initiator: Initiator,
        simulator: SimulatorServer,
    ) -> None:
        paid = await pay(sim_http, "WW-1", amount=100)
        simulator.daraja.faults.add(Endpoint.REVERSAL, Fault.ACCEPT_THEN_HANG)
        with pytest.raises(OutcomeUnknown):
            await sim_client.reversal(
                initiator,
                transaction_id=paid["transaction_id"],
                amount=100,
                result_url=hooks.url("result"),
                timeout_url=hooks.url("timeout"),
                remarks="Refund",
            )
        assert parse_result(await hooks.next("result")).succeeded
        assert simulator.daraja.counters.other_requests[Endpoint.REVERSAL] == 1

    async def test_b2c_pays_from_the_float_until_it_runs_out(
        self,
        sim_client: DarajaClient,
        hooks: HookReceiver,
        initiator: Initiator,
        simulator: SimulatorServer,
    ) -> None:
        simulator.daraja.initiator.float[DEFAULT_B2C_SHORTCODE] = 1000

        async def b2c(originator: str, amount: int) -> Any:
            await sim_client.b2c_payment(
                initiator,
                originator_conversation_id=originator,
                b2c_shortcode=DEFAULT_B2C_SHORTCODE,
                phone=PHONE,
                amount=amount,
                remarks="Refund",
                occasion="WW-1",
                result_url=hooks.url("result"),
                timeout_url=hooks.url("timeout"),
            )
            return parse_result(await hooks.next("result"))

        paid = await b2c("refund-1", 600)
        assert paid.succeeded
        assert paid.originator_conversation_id == "refund-1"
        assert paid.parameters["TransactionAmount"] == 600
        assert (await b2c("refund-2", 600)).result_code == 1  # 400 left
        assert simulator.daraja.initiator.float[DEFAULT_B2C_SHORTCODE] == 400
        with pytest.raises(DarajaApiError, match="Duplicate"):
            await b2c("refund-1", 10)
        messages = simulator.daraja.ledger.messages(PHONE)
        assert messages[-1].text.startswith(
            f"{paid.transaction_id} Confirmed. You have received Ksh600.00"
        )


class TestPull:
    async def test_the_statement_is_every_payment_of_the_window_in_pages(
        self,
        sim_client: DarajaClient,
        sim_http: httpx.AsyncClient,
        simulator: SimulatorServer,
        hooks: HookReceiver,
    ) -> None:
        start = datetime.now(UTC) - timedelta(minutes=5)
        with pytest.raises(DarajaApiError):
            await sim_client.pull_transactions(start=start, end=start + timedelta(hours=1))
        await sim_client.register_pull(
            nominated_number="0712345149", callback_url=hooks.url("pull")
        )
        paid = [
            (await pay(sim_http, f"WW-{n}", amount=100 + n))["transaction_id"] for n in range(5)
        ]
        await pay(sim_http, "elsewhere", shortcode=OTHER_PAYBILL)
        entries = await sim_client.pull_transactions(
            start=start, end=datetime.now(UTC) + timedelta(minutes=1)
        )
        assert [entry.transaction_id for entry in entries] == paid
        assert [entry.amount for entry in entries] == [100, 101, 102, 103, 104]
        assert entries[0].bill_reference == "WW-0"
        assert entries[0].msisdn == "2547****149"
        assert (
            simulator.daraja.counters.other_requests[Endpoint.PULL_QUERY] == 1 + 4
        )  # 2+2+1, empty

    async def test_what_is_older_than_48_hours_is_gone(self, hooks: HookReceiver) -> None:
        clock = [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]
        settings = SimulatorSettings(callback_delay=0.01, seed=1)
        async with SimulatorServer(settings, now=lambda: clock[0]) as server:
            old = await server.daraja.c2b.pay(phone=PHONE, amount=50, account="A")
            clock[0] += timedelta(hours=47)
            new = await server.daraja.c2b.pay(phone=PHONE, amount=60, account="B")
            server.daraja.pull.registrations[DEFAULT_SHORTCODE] = (PHONE, hooks.url("pull"))
            body = {
                "ShortCode": DEFAULT_SHORTCODE,
                "StartDate": "2026-11-30 00:00:00",
                "EndDate": "2026-12-04 00:00:00",
                "OffSetValue": "0",
            }
            ids = [row["transactionId"] for row in server.daraja.pull.query(body)["Response"][0]]
            assert ids == [old.transaction.transaction_id, new.transaction.transaction_id]  # type: ignore[union-attr]
            clock[0] += timedelta(hours=2)
            ids = [row["transactionId"] for row in server.daraja.pull.query(body)["Response"][0]]
            assert ids == [new.transaction.transaction_id]  # type: ignore[union-attr]


async def test_a_lost_result_still_moved_the_money_and_a_status_query_tells(
    sim_client: DarajaClient,
    sim_http: httpx.AsyncClient,
    hooks: HookReceiver,
    initiator: Initiator,
    simulator: SimulatorServer,
) -> None:
    paid = await pay(sim_http, "WW-9", amount=120)
    simulator.daraja.initiator.result_copies = 0
    await sim_client.reversal(
        initiator,
        transaction_id=paid["transaction_id"],
        amount=120,
        result_url=hooks.url("result"),
        timeout_url=hooks.url("timeout"),
        remarks="Refund",
    )
    await asyncio.sleep(0.3)
    assert hooks.queue("result").empty()
    simulator.daraja.initiator.result_copies = 1
    details = transaction_status_details(
        await status_of(sim_client, hooks, initiator, paid["transaction_id"])
    )
    assert details.status == "Reversed"
