"""Screenshots of staff notices as a staff user reads them in Telegram, for the README.

    python -m tests.staff.screenshots docs

Each notice is written by Lipa's own presenters (:mod:`checkout.i18n.staff_notices`, the till's
texts) for a staff user's private chat with STAFF_SEE_FULL_PHONES on, in
English and in Swahili; a small HTML page draws them as Telegram draws a bot's messages (chat
bubbles with their times) and Debian's Chromium, driven by Playwright, saves
``staff-notices-en.png`` and ``staff-notices-sw.png``.
"""

from __future__ import annotations

import asyncio
import html
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from checkout.domain.records import (
    Language,
    PaymentStatus,
    StaffChat,
)
from checkout.i18n import staff_notices
from checkout.i18n.till import credits as till_texts
from tests.staff.examples import paid_order, paid_payment
from tests.web.browser import chromium

MOMENT = datetime(2026, 12, 4, 7, 12, tzinfo=UTC)
PAYMENT = paid_payment(chat_key="5001", at=MOMENT)


class _TillCredit:
    transaction_id = "RKT4DM7W6S"
    amount = 2000
    paid_at = MOMENT
    account = "WW-1043"
    msisdn = "254722000111"
    payer_name = "JOHN OTIENO"


def notices(language: Language) -> list[tuple[str, str]]:
    """(time, text) of a morning's notices, as the presenters write them."""
    staff = StaffChat("7001", language=language, full_phones=True)
    cancelled = replace(
        PAYMENT, id=2, status=PaymentStatus.CANCELLED, result_code=1032, receipt_number=None
    )
    second = replace(PAYMENT, id=3, receipt_number="QAB12CD9XK")
    poor = replace(
        PAYMENT,
        id=4,
        order_reference="WW-1044",
        phone="254733444555",
        status=PaymentStatus.FAILED,
        result_code=1,
        receipt_number=None,
    )
    texts = [
        ("10:02", staff_notices.settled(staff, cancelled, None, None)),
        (
            "10:04",
            staff_notices.settled(staff, PAYMENT, paid_order("WW-1042", 1500, 3000), 1500),
        ),
        (
            "10:31",
            till_texts.staff_credited(
                staff, _TillCredit(), paid_order("WW-1043", 2000, 2000), "account"
            ),
        ),
        ("11:15", staff_notices.settled(staff, poor, None, None)),
    ]
    texts.append(
        (
            "12:20",
            staff_notices.settled(staff, second, paid_order("WW-1042", 3000, 3000), 1500),
        )
    )
    return texts


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font: 15px/1.35 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  background: #c9d9a6; }}
header {{ background: #517da2; color: #fff; padding: 10px 14px; display: flex; gap: 10px;
  align-items: center; }}
.avatar {{ width: 38px; height: 38px; border-radius: 50%; background: #65aadd; display: flex;
  align-items: center; justify-content: center; font-weight: 600; }}
.name {{ font-weight: 600; }} .sub {{ font-size: 13px; opacity: .8; }}
main {{ padding: 10px 10px 14px; background: linear-gradient(#d6e4b4, #b9d09a); }}
.day {{ text-align: center; margin: 4px 0 10px; }}
.day span {{ background: rgba(0,0,0,.18); color: #fff; border-radius: 10px; padding: 2px 10px;
  font-size: 13px; }}
.bubble {{ background: #fff; border-radius: 12px 12px 12px 4px; padding: 7px 10px 6px;
  margin: 0 48px 7px 0; box-shadow: 0 1px 1px rgba(0,0,0,.15); white-space: pre-wrap; }}
.time {{ display: block; text-align: right; color: #8c9aa5; font-size: 12px;
  margin-top: 1px; }}
</style></head><body>
<header><div class="avatar">L</div><div><div class="name">{bot}</div>
<div class="sub">{sub}</div></div></header>
<main><div class="day"><span>{day}</span></div>{bubbles}</main></body></html>"""

_WORDS = {
    "en": {"sub": "bot · staff notices", "day": "Friday, 4 December"},
    "sw": {"sub": "bot · taarifa za wafanyakazi", "day": "Ijumaa, 4 Desemba"},
}


def page(language: Language) -> str:
    """The chat page of ``language``'s notices."""
    bubbles = "".join(
        f'<div class="bubble">{html.escape(text)}<span class="time">{time}</span></div>'
        for time, text in notices(language)
    )
    words = _WORDS[language]
    return _PAGE.format(bot="Wildwash Lipa", sub=words["sub"], day=words["day"], bubbles=bubbles)


async def take(folder: Path) -> None:
    async with chromium() as browser:
        context = await browser.new_context(
            viewport={"width": 400, "height": 600}, device_scale_factor=1.5
        )
        browser_page = await context.new_page()
        for language in ("en", "sw"):
            await browser_page.set_content(page(language))
            await browser_page.screenshot(
                path=str(folder / f"staff-notices-{language}.png"), full_page=True
            )


if __name__ == "__main__":
    asyncio.run(take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
