"""USSD sessions by phone: the one that changed last, for offering to carry on after a drop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from checkout.channels.ussd.ports import UssdSession, UssdStatus
from storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
UowFactory = Callable[[], SqlUnitOfWork]
PHONE = "254712345678"


def session(session_id: str, phone: str = PHONE) -> UssdSession:
    return UssdSession(
        session_id=session_id,
        phone=phone,
        service_code="*384*1042#",
        network_code="63902",
        text="",
        screen={"body": "menu"},
    )


async def test_the_session_that_changed_last_is_found_leaving_out_the_one_asking(
    uow: UowFactory,
) -> None:
    async with uow() as unit:
        assert await unit.ussd_sessions.latest_of(PHONE, other_than="ATUid_3") is None
        assert await unit.ussd_sessions.save(session("ATUid_1"), now=NOW)
        assert await unit.ussd_sessions.save(session("ATUid_2"), now=NOW + timedelta(minutes=1))
        assert await unit.ussd_sessions.save(
            session("ATUid_9", phone="254722000000"), now=NOW + timedelta(minutes=2)
        )
        await unit.commit()
    async with uow() as unit:
        latest = await unit.ussd_sessions.latest_of(PHONE, other_than="ATUid_3")
        assert latest is not None
        assert (latest.session_id, latest.status) == ("ATUid_2", UssdStatus.OPEN)
        assert latest.updated_at == NOW + timedelta(minutes=1)
        earlier = await unit.ussd_sessions.latest_of(PHONE, other_than="ATUid_2")
        assert earlier is not None
        assert earlier.session_id == "ATUid_1"


async def test_an_end_notice_makes_its_session_the_latest_change(uow: UowFactory) -> None:
    async with uow() as unit:
        await unit.ussd_sessions.save(session("ATUid_1"), now=NOW)
        await unit.ussd_sessions.save(session("ATUid_2"), now=NOW + timedelta(minutes=1))
        await unit.commit()
    async with uow() as unit:
        await unit.ussd_sessions.record_end(
            session_id="ATUid_1",
            phone=PHONE,
            service_code="*384*1042#",
            network_code="63902",
            status=UssdStatus.ABANDONED,
            gateway_status="Incomplete",
            error=None,
            now=NOW + timedelta(minutes=3),
        )
        await unit.commit()
    async with uow() as unit:
        latest = await unit.ussd_sessions.latest_of(PHONE, other_than="ATUid_3")
    assert latest is not None
    assert (latest.session_id, latest.status) == ("ATUid_1", UssdStatus.ABANDONED)
    assert latest.updated_at == NOW + timedelta(minutes=3)
