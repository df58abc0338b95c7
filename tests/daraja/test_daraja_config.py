"""Configuration: secrets hidden from repr, paybill/till rules, the HTTP client's settings."""

from __future__ import annotations

import httpx
import pytest

from daraja.config import (
    PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
    DarajaConfig,
    Secret,
    TransactionType,
)
from daraja.transport import build_http_client


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert f"{secret}" != "hunter2"
    assert secret.get_secret_value() == "hunter2"


def test_config_repr_hides_consumer_secret_and_passkey() -> None:
    config = DarajaConfig("key", Secret("the-secret"), "174379", Secret("the-passkey"))
    assert "the-secret" not in repr(config)
    assert "the-passkey" not in repr(config)
    assert "174379" in repr(config)


def test_config_refuses_plain_strings_as_secrets() -> None:
    with pytest.raises(TypeError):
        DarajaConfig("key", "plain", "174379", Secret("p"))  # type: ignore[arg-type]


def test_paybill_pays_its_own_shortcode() -> None:
    config = DarajaConfig("key", Secret("s"), "174379", Secret("p"))
    assert config.transaction_type is TransactionType.PAYBILL
    assert config.receiving_party == "174379"


def test_paybill_with_another_party_b_is_refused() -> None:
    with pytest.raises(ValueError, match="party_b"):
        DarajaConfig("key", Secret("s"), "174379", Secret("p"), party_b="999999")


def test_till_pays_the_till_number() -> None:
    config = DarajaConfig(
        "key", Secret("s"), "174379", Secret("p"), TransactionType.TILL, party_b="174380"
    )
    assert config.receiving_party == "174380"


def test_till_without_till_number_is_refused() -> None:
    with pytest.raises(ValueError, match="till"):
        DarajaConfig("key", Secret("s"), "174379", Secret("p"), TransactionType.TILL)


def test_shortcode_must_be_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        DarajaConfig("key", Secret("s"), "17a379", Secret("p"))


def test_base_urls() -> None:
    assert SANDBOX_BASE_URL == "https://sandbox.safaricom.co.ke"
    assert PRODUCTION_BASE_URL == "https://api.safaricom.co.ke"


async def test_http_client_has_base_url_explicit_timeouts_and_no_redirects() -> None:
    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)
    async with build_http_client(SANDBOX_BASE_URL, timeout=timeout) as http:
        assert str(http.base_url) == "https://sandbox.safaricom.co.ke"
        assert http.timeout == timeout
        assert http.follow_redirects is False
    async with build_http_client(SANDBOX_BASE_URL) as http:
        assert None not in (http.timeout.connect, http.timeout.read, http.timeout.pool)
