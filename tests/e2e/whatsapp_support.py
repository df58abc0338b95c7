"""Helpers for the WhatsApp end-to-end tests: a service wired to the fake Cloud API."""

from __future__ import annotations

from typing import Any

from lipa.settings import Settings
from lipa_testing.whatsapp_api import DEFAULT_VERIFY_TOKEN, FakeWhatsApp

CUSTOMER = "254712345678"


def whatsapp_settings(
    whatsapp: FakeWhatsApp, database_url: str, *, templates: bool = True, **extra: Any
) -> Settings:
    """Settings for a service whose only customer channel is WhatsApp, through the fake."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "whatsapp_access_token": whatsapp.access_token,
        "whatsapp_phone_number_id": whatsapp.phone_number_id,
        "whatsapp_app_secret": whatsapp.app_secret,
        "whatsapp_verify_token": DEFAULT_VERIFY_TOKEN,
        "whatsapp_api_base_url": whatsapp.base_url,
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "host": "127.0.0.1",
        # A free port bound at start, which the public URL follows (see lipa.service).
        "port": 0,
        "public_base_url": "http://127.0.0.1:0",
        **extra,
    }
    if templates:
        values.setdefault("whatsapp_template_payment_result", "payment_result")
        values.setdefault("whatsapp_template_reminder", "installment_reminder")
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
