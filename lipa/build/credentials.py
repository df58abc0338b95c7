"""Daraja's credentials and the secrets of the callback URL and the web pages' forms."""

from __future__ import annotations

import hashlib
import hmac

from daraja import DarajaConfig, Secret
from daraja.simulator.settings import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
)
from daraja.url_rules import url_safe_secret
from lipa.logs import redact_from_now_on
from lipa.settings import MpesaEnvironment, Settings, is_placeholder, require


def daraja_config(settings: Settings) -> DarajaConfig:
    """Daraja credentials from the settings; the simulator's own when simulating."""
    simulating = settings.mpesa_environment is MpesaEnvironment.SIMULATOR

    def value(name: str, purpose: str, simulator_default: str) -> str:
        raw = getattr(settings, name)
        # The simulator knows only its own credentials: blanks and placeholders mean those.
        if simulating and is_placeholder(_text(raw)):
            return simulator_default
        return require(settings, name, purpose)

    return DarajaConfig(
        consumer_key=value(
            "mpesa_consumer_key", "the Daraja app's consumer key", DEFAULT_CONSUMER_KEY
        ),
        consumer_secret=Secret(
            value(
                "mpesa_consumer_secret",
                "the Daraja app's consumer secret",
                DEFAULT_CONSUMER_SECRET,
            )
        ),
        business_shortcode=settings.mpesa_business_shortcode,
        passkey=Secret(
            value("mpesa_passkey", "the Lipa na M-Pesa Online passkey", DEFAULT_PASSKEY)
        ),
        transaction_type=settings.mpesa_transaction_type,
        party_b=settings.mpesa_party_b or None,
    )


def _text(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    text = getter() if callable(getter) else value
    return str(text or "").strip()


def callback_secret(settings: Settings) -> str:
    """The callback path's secret; a random one per process when simulating without one.

    A made secret avoids the words Daraja refuses in URLs (see :mod:`daraja.url_rules`).

    A random one is added to the log redaction, as configured secrets are.
    """
    if settings.mpesa_environment is MpesaEnvironment.SIMULATOR and is_placeholder(
        _text(settings.mpesa_callback_secret)
    ):
        made = url_safe_secret()
        redact_from_now_on(made)
        return made
    return require(
        settings,
        "mpesa_callback_secret",
        "the secret part of the M-Pesa callback URL that only Safaricom is given",
    )


def web_secret(settings: Settings, callback: str) -> bytes:
    """What signs the web pages' form tokens: WEB_SECRET, else derived from the callback secret.

    Derived (an HMAC under a fixed label), so every process of a deployment agrees without a
    setting of its own and the callback secret cannot be read back from it.
    """
    configured = _text(settings.web_secret)
    if configured and not is_placeholder(configured):
        return configured.encode()
    return hmac.new(callback.encode(), b"lipa web form tokens", hashlib.sha256).digest()
