"""The other way to pay is the business's own paybill or till, as Daraja is configured."""

from __future__ import annotations

from typing import Any

from checkout.payments.other_way import PayTo
from lipa.settings import Settings
from lipa.ways_out import pay_to


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_paybill_business_tells_its_shortcode() -> None:
    assert pay_to(settings(mpesa_business_shortcode="600100")) == PayTo("600100")


def test_a_till_business_tells_its_till_number_not_its_store_number() -> None:
    till = settings(
        mpesa_business_shortcode="600200",
        mpesa_transaction_type="CustomerBuyGoodsOnline",
        mpesa_party_b="5123456",
    )
    assert pay_to(till) == PayTo("5123456", till=True)
