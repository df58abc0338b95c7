"""The audit trail's and kept callback bodies' contract: the same tests in memory, on
SQLite and on PostgreSQL (``lipa_testing.memory_units`` against the databases)."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.records import AuditKind, BodyStatus, Channel, ReceivedBody
from checkout.payments.ports import NewPayment
from lipa_testing.clocks import SettableClock
from tests.contracts.conftest import Units


async def test_the_latest_entry_of_a_kind_is_found_and_a_rollback_forgets(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        for n, kind in enumerate((AuditKind.CALLBACK_UNMATCHED, AuditKind.CALLBACK) * 2):
            await unit.audit.record(
                kind=kind, payload={"n": n, "at": [1.5]}, now=clock(), checkout_request_id="ws_1"
            )
        assert await unit.audit.latest("ws_1", AuditKind.CALLBACK) == {"n": 3, "at": [1.5]}
        await unit.commit()
    async with units() as unit:
        await unit.audit.record(
            kind=AuditKind.CALLBACK, payload={"n": 9}, now=clock(), checkout_request_id="ws_1"
        )
        await unit.rollback()
    async with units() as unit:
        assert await unit.audit.latest("ws_1", AuditKind.CALLBACK_UNMATCHED) == {
            "n": 2,
            "at": [1.5],
        }
        assert await unit.audit.latest("ws_1", AuditKind.CALLBACK) == {"n": 3, "at": [1.5]}
        assert await unit.audit.latest("ws_2", AuditKind.CALLBACK) is None


async def test_unmatched_callbacks_are_those_of_the_window_no_payment_claimed(
    units: Units,
) -> None:
    clock = SettableClock()
    start = clock()
    async with units() as unit:
        await unit.orders.create("WW-1", 500, known=True)
        new = NewPayment("WW-1", None, Channel.TELEGRAM, "42", 500, "2547", "en")
        payment = await unit.payments.create_pending(new, now=clock())
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m", checkout_request_id="ws_known"
        )
        for n, request in enumerate(("ws_a", "ws_known", "ws_b", "ws_c", "ws_d")):
            clock.advance(60)
            await unit.audit.record(
                kind=AuditKind.CALLBACK_UNMATCHED,
                payload={"n": n},
                now=clock(),
                checkout_request_id=request,
            )
        await unit.audit.record(
            kind=AuditKind.CALLBACK, payload={"n": 9}, now=clock(), checkout_request_id="ws_e"
        )
        await unit.commit()
    async with units() as unit:
        found = await unit.audit.unmatched_callbacks(
            received_after=start + timedelta(seconds=60), received_before=clock(), limit=2
        )
    assert found == [{"n": 2}, {"n": 3}]


def body(n: int, clock: SettableClock, source: str | None = "196.201.214.200") -> ReceivedBody:
    return ReceivedBody(f'{{"n": {n}}}'.encode(), source, clock())


async def test_bodies_are_kept_and_read_newest_first(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        first = await unit.callback_bodies.add(
            body(1, clock, "x" * 100), status=BodyStatus.REFUSED, note="bad json"
        )
        await unit.callback_bodies.keep(body(2, clock), status=BodyStatus.SETTLED)
        await unit.callback_bodies.keep(
            body(3, clock, None), status=BodyStatus.FAILED, checkout_request_id="ws_1"
        )
        await unit.commit()
    async with units() as unit:
        await unit.callback_bodies.keep(body(4, clock), status=BodyStatus.FAILED)
        await unit.rollback()
    async with units() as unit:
        kept = await unit.callback_bodies.get(first)
        assert await unit.callback_bodies.get(first + 1000) is None
        recent = await unit.callback_bodies.recent(limit=2)
        to_replay = await unit.callback_bodies.recent(limit=10, needing_replay=True)
    assert kept is not None
    assert (kept.received.body, kept.received.source_address, kept.status, kept.note) == (
        b'{"n": 1}',
        "x" * 64,
        BodyStatus.REFUSED,
        "bad json",
    )
    assert kept.received.received_at == clock()
    assert [b.received.body for b in recent] == [b'{"n": 3}', b'{"n": 2}']
    assert [(b.received.body, b.checkout_request_id) for b in to_replay] == [
        (b'{"n": 3}', "ws_1"),
        (b'{"n": 1}', None),
    ]


async def test_a_replayed_body_records_what_became_of_it(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        body_id = await unit.callback_bodies.add(body(1, clock), status=BodyStatus.FAILED)
        await unit.commit()
    clock.advance(60)
    async with units() as unit:
        await unit.callback_bodies.mark(
            body_id, status=BodyStatus.SETTLED, note=None, checkout_request_id="ws_1", now=clock()
        )
        await unit.commit()
    async with units() as unit:
        replayed = await unit.callback_bodies.get(body_id)
        assert await unit.callback_bodies.recent(limit=5, needing_replay=True) == []
    assert replayed is not None
    assert (replayed.status, replayed.checkout_request_id, replayed.replayed_at) == (
        BodyStatus.SETTLED,
        "ws_1",
        clock(),
    )
