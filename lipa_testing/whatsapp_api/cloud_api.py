"""The Cloud API as the fake speaks it: its version, the default credentials and approved
templates, WhatsApp's error codes and the shape of an error answer (`_error`), and the
``X-Hub-Signature-256`` header of webhooks (`sign`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Final

from aiohttp import web

API_VERSION: Final = "v21.0"
DEFAULT_PHONE_NUMBER_ID: Final = "109876543210"
DEFAULT_ACCESS_TOKEN: Final = "EAAG-fake-whatsapp-access-token-for-lipa-tests"
DEFAULT_APP_SECRET: Final = "fake-whatsapp-app-secret-for-lipa-tests"
DEFAULT_VERIFY_TOKEN: Final = "fake-whatsapp-verify-token-for-lipa-tests"
# Approved templates: name → the language codes they were approved in.
DEFAULT_TEMPLATES: Final = {
    "payment_result": frozenset({"en", "sw"}),
    "installment_reminder": frozenset({"en", "sw"}),
}
WINDOW: Final = timedelta(hours=24)

ERRORS: Final[dict[int, tuple[int, str, str]]] = {
    # code: (HTTP status, message, details)
    130429: (400, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient.",
    ),
    131026: (400, "(#131026) Message Undeliverable", "Message undeliverable."),
    131047: (
        400,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131009: (400, "(#131009) Parameter value is not valid", ""),
    132001: (404, "(#132001) Template name does not exist in the translation", ""),
    190: (401, "Error validating access token: Session has expired", ""),
    131000: (500, "(#131000) Something went wrong", ""),
}


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header WhatsApp sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _error(code: int, details: str | None = None) -> web.Response:
    status, message, default_details = ERRORS.get(code, (400, f"(#{code}) Error", ""))
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {
                    "messaging_product": "whatsapp",
                    "details": details or default_details,
                },
                "fbtrace_id": "AFakeTraceId",
            }
        },
        status=status,
    )
