"""Log lines: JSON objects when asked, with ids, never a secret or a whole phone number."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from checkout.domain.phones import mask_phone
from checkout.runtime.log_context import log_fields
from lipa.build.credentials import callback_secret
from lipa.logs import ContextTextFormatter, JsonFormatter, Redactor, mask_phones, secret_values
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, reach_confirmation, seed

SECRETS = ["pk-0123456789-passkey", "callback-secret-for-tests"]
JsonLog = tuple[logging.Logger, io.StringIO]
UNMASKED = re.compile(r"(?<!\d)(?:\+?254|0)[17]\d{8}(?!\d)")


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redactor = Redactor(SECRETS)
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter(redactor))
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_the_basics(json_log: JsonLog) -> None:
    logger, stream = json_log
    logger.info("payment %s settled", 42, extra={"payment_id": 42})
    logger.warning("two\nlines")
    first, second = lines(stream)
    assert first["message"] == "payment 42 settled"
    assert first["payment_id"] == 42
    assert (first["level"], first["logger"]) == ("INFO", "tests.ops.json")
    assert str(first["time"]).endswith("+00:00")
    assert second["message"] == "two\nlines"


def test_the_conversation_bound_by_an_adapter_is_on_every_line(json_log: JsonLog) -> None:
    logger, stream = json_log
    with log_fields(conversation="telegram:5001"):
        logger.info("inside")
        with log_fields(payment_id=7):
            logger.info("deeper")
    logger.info("outside")
    inside, deeper, outside = lines(stream)
    assert inside["conversation"] == "telegram:5001"
    assert (deeper["conversation"], deeper["payment_id"]) == ("telegram:5001", 7)
    assert "conversation" not in outside


def test_secrets_and_phones_never_reach_a_line(json_log: JsonLog) -> None:
    logger, stream = json_log
    logger.info("calling with passkey %s for %s", SECRETS[0], "254712345678")
    logger.info("callback path /mpesa/callback/%s from +254712345678 or 0712345678", SECRETS[1])
    try:
        raise ValueError(f"bad {SECRETS[0]} for 0112345678")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in SECRETS:
        assert secret not in text
    assert not UNMASKED.search(text)
    first, second, third = lines(stream)
    assert first["message"] == "calling with passkey [redacted] for 2547****5678"
    assert "0712**5678" in str(second["message"])
    assert "[redacted]" in str(third["exception"])
    assert "0112**5678" in str(third["exception"])


def test_the_simulators_random_callback_secret_is_kept_out_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor(SECRETS))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        made = callback_secret(Settings(_env_file=None))  # type: ignore[call-arg]
        logging.getLogger("tests.ops.root").warning("callback to /mpesa/callback/%s", made)
    finally:
        root.removeHandler(handler)
    assert made not in stream.getvalue()
    assert "/mpesa/callback/[redacted]" in stream.getvalue()


@pytest.mark.parametrize("phone", ["254712345678", "+254712345678", "0712345678", "0112345678"])
def test_each_phone_in_a_line_is_masked_by_the_one_phone_masking_rule(phone: str) -> None:
    assert mask_phones(f"push to {phone} sent") == f"push to {mask_phone(phone)} sent"
    assert phone not in mask_phones(f"push to {phone} sent")


def test_numbers_that_are_not_phones_are_left_alone() -> None:
    text = "ws_CO_191220191020363925 at 20191219102115, amount 254000, id 12345678901234"
    assert mask_phones(text) == text


def test_the_text_format_shows_bound_ids_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    formatter = ContextTextFormatter("%(message)s")
    with log_fields(conversation="telegram:1"):
        assert formatter.format(record) == "hello [conversation=telegram:1]"
    assert formatter.format(record) == "hello"


def test_every_secret_setting_is_kept_out() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123:token-token-token",
        mpesa_passkey="pk-secret-value",
        api_token="api-token-0123456789",
        event_webhook_urls=["https://platform.example/hook"],
        event_webhook_secret="event-secret-0123456789",
    )
    assert set(secret_values(settings)) == {
        "123:token-token-token",
        "pk-secret-value",
        "api-token-0123456789",
        "event-secret-0123456789",
    }


async def test_a_whole_payment_logs_json_without_secrets_or_phones(
    telegram: FakeTelegram,
    start_service: StartService,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="polling")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redactor = Redactor(secret_values(settings))
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter(redactor))
    caplog.set_level(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        service = await start_service(settings)
        await seed(service)
        await reach_confirmation(telegram, "0712345678")
        await telegram.user_presses_button(CUSTOMER, "pay")
        await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    finally:
        logging.getLogger().removeHandler(handler)
    records = lines(stream)
    assert len(records) > 5
    text = stream.getvalue()
    for secret in secret_values(settings):
        assert secret not in text
    assert telegram.token not in text
    assert not UNMASKED.search(text)
    settled = [r for r in records if "settled paid" in str(r["message"])]
    assert len(settled) == 1
    assert isinstance(settled[0]["payment_id"], int)
    assert any(r.get("conversation") == f"telegram:{CUSTOMER}" for r in records)
