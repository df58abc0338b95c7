"""A local fake of the WhatsApp Business Cloud API, strict about WhatsApp's rules.

``FakeWhatsApp`` serves ``POST /v21.0/{phone-number-id}/messages`` on a real socket, with the
bearer token checked. Every send is checked against WhatsApp's limits (reply buttons: at most
3, titles at most 20 characters, unique ids at most 256; lists: at most 10 rows, titles at
most 24, descriptions at most 72, a button label at most 20; interactive bodies at most
1,024 characters, texts at most 4,096; templates approved, in an approved language, with
parameters free of line breaks, tabs and runs of spaces): a send that breaks one is refused
with WhatsApp's error 131009 and written to ``violations``, which tests check is empty. A
free-form message to a customer whose last message is more than 24 hours old (or who never
wrote) is refused with 131047, as WhatsApp does; templates go at any time.

``fail_next`` makes coming sends fail with WhatsApp's error shapes (130429, 131056, 131026,
...). The customer's side sends webhooks to Lipa, signed with ``X-Hub-Signature-256`` (the
HMAC-SHA256 of the raw body under the app secret): texts, button and list presses, shared
contacts, and statuses of the messages the fake accepted.

Its modules: `cloud_api` (the API's version, default credentials, error codes, `sign`),
`records` (what tests read), `rules` (`limit_violations`) and `fake` (`FakeWhatsApp`).
"""

from lipa_testing.whatsapp_api.cloud_api import (
    API_VERSION,
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TEMPLATES,
    DEFAULT_VERIFY_TOKEN,
    ERRORS,
    WINDOW,
    sign,
)
from lipa_testing.whatsapp_api.fake import FakeWhatsApp
from lipa_testing.whatsapp_api.records import Refusal, SentWhatsApp, WebhookDelivery
from lipa_testing.whatsapp_api.rules import limit_violations

__all__ = [
    "API_VERSION",
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_APP_SECRET",
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TEMPLATES",
    "DEFAULT_VERIFY_TOKEN",
    "ERRORS",
    "WINDOW",
    "FakeWhatsApp",
    "Refusal",
    "SentWhatsApp",
    "WebhookDelivery",
    "limit_violations",
    "sign",
]
