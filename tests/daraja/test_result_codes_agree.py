"""The core names result codes in its own enum (it may not import daraja/); both must agree."""

from __future__ import annotations

from checkout.domain.result_codes import ResultCode as CoreResultCode
from daraja.result_codes import ResultCode as DarajaResultCode


def test_the_core_names_every_result_code_daraja_names_with_the_same_number() -> None:
    core = {code.name: code.value for code in CoreResultCode}
    daraja = {code.name: code.value for code in DarajaResultCode}
    assert core == daraja


def test_a_core_result_code_equals_the_plain_number_a_payment_stores() -> None:
    assert CoreResultCode.CANCELLED == 1032
    assert {CoreResultCode.PAID: "paid"}.get(0) == "paid"
    assert CoreResultCode.known(123456) is None
