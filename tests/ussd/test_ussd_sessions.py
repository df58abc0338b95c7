"""USSD sessions: rebuilt from the gateway's text and the stored session, by any process."""

from __future__ import annotations

from ipaddress import ip_network
from types import SimpleNamespace

from sqlalchemy import select

from checkout.channels.ussd.ports import UssdStatus
from storage.models import PushRequestRow, UssdSessionRow
from tests.ussd.conftest import CALLER, MakeShop, Phone, UssdShop
from tests.ussd.test_ussd_screens import AMOUNT_EN, CONFIRM_EN, MENU_EN, QUEUED_EN
from webhook.mpesa import SourceCheck


async def session_row(shop: UssdShop, session_id: str) -> SimpleNamespace:
    """The stored row's columns (read inside the unit, which expires them on leaving)."""
    async with shop.uow() as unit:
        row = await unit.session.scalar(
            select(UssdSessionRow).where(UssdSessionRow.session_id == session_id)
        )
        assert row is not None
        return SimpleNamespace(
            **{column.key: getattr(row, column.key) for column in UssdSessionRow.__mapper__.columns}
        )


async def queued_pushes(shop: UssdShop) -> int:
    async with shop.uow() as unit:
        return len(list(await unit.session.scalars(select(PushRequestRow))))


class TestRepeatedRequests:
    async def test_a_repeated_request_gets_the_same_screen_and_applies_nothing_twice(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert phone.text is not None
        # The gateway did not get our answer in time and asks again with the same text.
        assert await phone.post(phone.text) == QUEUED_EN
        assert await queued_pushes(shop) == 1

    async def test_a_request_after_the_end_gets_the_last_screen_again(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("1") == QUEUED_EN
        assert await queued_pushes(shop) == 1


class TestAnyProcessAnswers:
    async def test_two_processes_take_turns_answering_one_session(
        self, make_shop: MakeShop
    ) -> None:
        first = await make_shop()
        second = await make_shop(seed=False)
        session = first.phone().session_id
        screens = []
        text = ""
        for index, answer in enumerate(("", "1", "WW-1042", "1", "1")):
            text = f"{text}*{answer}" if text else answer
            shop = first if index % 2 == 0 else second
            screens.append(await Phone(shop.client, CALLER, session).post(text))
        assert screens[2:] == [AMOUNT_EN, CONFIRM_EN, QUEUED_EN]
        await second.pushes.run_once()
        assert len(second.gateway.pushes) == 1

    async def test_a_session_never_stored_is_rebuilt_from_its_text(self, shop: UssdShop) -> None:
        phone = shop.phone()
        # This process never saw the session start (the row was lost): replay its inputs.
        assert await phone.post("1*WW-1042*1") == CONFIRM_EN

    async def test_a_text_that_does_not_extend_the_stored_one_is_replayed(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.post("1*WW-1042*2*700") == CONFIRM_EN.replace("1,500", "700")


class TestCallers:
    async def test_a_session_answers_only_its_caller(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        answer = await phone.post("1", number="+254722000000")
        assert answer == "END Sorry, something went wrong on our side. Please try again."
        assert await phone.send("1") == "CON Enter the order number:\n0. Back 00. Home"

    async def test_a_number_mpesa_cannot_pay_from_is_told_so(self, shop: UssdShop) -> None:
        phone = shop.phone("+255712345678")
        assert await phone.dial() == ("END Sorry, this service is for Kenyan M-Pesa numbers only.")

    async def test_the_number_is_the_callers_in_every_form_the_gateway_sends(
        self, shop: UssdShop
    ) -> None:
        assert await shop.phone("254712345678").dial() == MENU_EN
        assert await shop.phone("+254 712 345 678").dial() == MENU_EN

    async def test_a_request_without_session_or_phone_is_refused(self, shop: UssdShop) -> None:
        response = await shop.client.post("/ussd", data={"text": ""})
        assert response.status == 400
        too_long = {"sessionId": "x" * 129, "phoneNumber": CALLER, "text": ""}
        assert (await shop.client.post("/ussd", data=too_long)).status == 400


class TestSources:
    async def test_requests_from_outside_the_allowlist_are_refused(
        self, make_shop: MakeShop
    ) -> None:
        shop = await make_shop(sources=SourceCheck(networks=(ip_network("10.0.0.0/8"),)))
        data = {"sessionId": "ATUid_x", "phoneNumber": CALLER, "text": ""}
        assert (await shop.client.post("/ussd", data=data)).status == 403
        assert (await shop.client.post("/ussd/events", data=data)).status == 403

    async def test_requests_from_the_allowlist_are_answered(self, make_shop: MakeShop) -> None:
        shop = await make_shop(sources=SourceCheck(networks=(ip_network("127.0.0.0/8"),)))
        assert await shop.phone().dial() == MENU_EN


class TestEndOfSession:
    async def test_a_session_left_mid_way_is_recorded_as_abandoned(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        assert await phone.end("Incomplete") == 200
        row = await session_row(shop, phone.session_id)
        assert (row.status, row.gateway_status, row.text) == (
            UssdStatus.ABANDONED.value,
            "Incomplete",
            "1",
        )
        assert row.ended_at is not None

    async def test_a_session_that_ended_with_the_prompt_is_completed(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert (await session_row(shop, phone.session_id)).status == UssdStatus.ENDED.value
        await phone.end("Success")
        assert (await session_row(shop, phone.session_id)).status == UssdStatus.COMPLETED.value

    async def test_a_failed_session_keeps_the_gateways_error(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.end("Failed", error="Network timeout")
        row = await session_row(shop, phone.session_id)
        assert (row.status, row.gateway_error) == (UssdStatus.ABANDONED.value, "Network timeout")

    async def test_a_notice_for_a_session_never_seen_is_recorded(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.end("Incomplete")
        row = await session_row(shop, phone.session_id)
        assert (row.status, row.phone) == (UssdStatus.ABANDONED.value, "254712345678")

    async def test_a_notice_without_a_session_is_refused(self, shop: UssdShop) -> None:
        response = await shop.client.post("/ussd/events", data={"status": "Success"})
        assert response.status == 400
