"""wa.me links: on new orders from staff, opening WhatsApp with "PAY <reference>" typed."""

from __future__ import annotations

from datetime import UTC, datetime

from checkout.conversation.links import whatsapp_pay_link
from checkout.platform.orders import OrderService
from checkout.staff.answers import StaffRequest, TextAnswer
from checkout.staff.commands import StaffDesk
from checkout.staff.reports import ReportService
from storage.unit_of_work import SqlUnits
from whatsapp.events import event_from_text

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_the_link_takes_the_number_in_any_writing_and_its_text_starts_the_checkout() -> None:
    link = whatsapp_pay_link("+254 700-000 000", "WW-1042")
    assert link == "https://wa.me/254700000000?text=PAY%20WW-1042"
    text = link.partition("text=")[2].replace("%20", " ")
    assert event_from_text(text) == event_from_text("/pay WW-1042")


async def test_neworder_gives_the_whatsapp_link_too_when_whatsapp_has_a_number(
    uow: SqlUnits,
) -> None:
    desk = StaffDesk(
        OrderService(uow, clock=lambda: NOW),
        ReportService(uow, clock=lambda: NOW),
        language="sw",
        whatsapp_number="254700000000",
    )
    answer = await desk.handle(StaffRequest("neworder", "1500", "lipa_bot"))
    assert not isinstance(answer, TextAnswer)
    caption = getattr(answer, "caption", "")
    assert "https://t.me/lipa_bot?start=pay_" in caption
    assert "Au kwa WhatsApp: https://wa.me/254700000000?text=PAY%20" in caption
