"""A USSD caller over the push limits reads why and how long to wait, on one END screen."""

from __future__ import annotations

import pytest

from checkout.payments.limits import PushLimits
from tests.ussd.conftest import MakeShop, UssdShop
from tests.ussd.test_ussd_screens import QUEUED_EN

PAY_WW_1042 = ("1", "ww-1042", "1", "1")


async def pay(shop: UssdShop) -> str:
    """One session paying WW-1042 in full; the last screen."""
    phone = shop.phone()
    await phone.dial()
    answer = ""
    for typed in PAY_WW_1042:
        answer = await phone.send(typed)
    return answer


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        (
            "en",
            "END Too many M-Pesa prompts have gone to this number lately. "
            "Please wait 3 minutes and try again (after 12:10).",
        ),
        (
            "sw",
            "END Maombi mengi ya M-Pesa yametumwa kwa nambari hii hivi karibuni. "
            "Tafadhali subiri dakika 3 kisha ujaribu tena, baada ya "
            "saa sita na dakika 10 mchana (12:10).",
        ),
    ],
)
async def test_a_fourth_payment_in_ten_minutes_ends_the_session_with_the_wait(
    make_shop: MakeShop, language: str, refusal: str
) -> None:
    shop = await make_shop(language=language, limits=PushLimits())
    for _ in range(3):
        answer = await pay(shop)
        if language == "en":
            assert answer == QUEUED_EN
        # Past the two minutes in which a second push for the same order is "already paying".
        shop.clock.advance(150)
    assert await pay(shop) == refusal
    async with shop.uow() as unit:
        queued = await unit.pushes.claim_due(now=shop.clock(), limit=10, lease_seconds=1)
    assert len(queued) == 3
