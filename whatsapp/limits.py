"""WhatsApp Cloud API limits on what a message may hold (the fake of the API enforces them)."""

from __future__ import annotations

from typing import Final

MAX_REPLY_BUTTONS: Final = 3
BUTTON_TITLE: Final = 20
BUTTON_ID: Final = 256
MAX_LIST_ROWS: Final = 10
ROW_TITLE: Final = 24
ROW_DESCRIPTION: Final = 72
ROW_ID: Final = 200
LIST_BUTTON: Final = 20
INTERACTIVE_BODY: Final = 1024
TEXT_BODY: Final = 4096
TEMPLATE_PARAMETER: Final = 1024
# A free-form message may reach a customer only this long after their latest message.
SERVICE_WINDOW_HOURS: Final = 24
