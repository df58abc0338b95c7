"""`FakeTelegram`: the fake Bot API server for one bot, assembled from its layers."""

from __future__ import annotations

from lipa_testing.telegram_api.users import _Users


class FakeTelegram(_Users):
    """A fake Telegram Bot API server for one bot.

    Use it as ``async with FakeTelegram() as fake:`` or call `start` and `stop`. Point PTB at
    `base_url` (and `base_file_url`). Only ``token`` is accepted: another well-formed token gets
    401 Unauthorized, a malformed one 404 Not Found, as on Telegram.

    Recording: `sent` (messages sent and edited, in arrival order), `answered_callback_queries`,
    `chat_actions`, `webhook_deliveries`; counters `requests_by_method`, `responses_by_status`,
    `too_many_requests` (every 429 given) and `rate_limited` (enforced 429s per chat).
    """

    def reset(self) -> None:
        """Forget everything but the configuration: records, counters, faults, rate limits,
        queued updates, messages, users, files, commands and the webhook. Ids keep increasing.
        """
        self.sent.clear()
        self.commands.clear()
        self._allowed_updates = None
        self._last_webhook_error = None
        self._users.clear()
        self._known_chats.clear()
        self._files.clear()
        self._files_by_path.clear()
        self.answered_callback_queries.clear()
        self.chat_actions.clear()
        self.webhook_deliveries.clear()
        self.webhook_reply_methods.clear()
        self.reset_counters()
        self.clear_faults()
        self._rate_limits = None
        self.webhook = None
        self._updates.clear()
        self._messages.clear()
        self._chat_messages.clear()
        self._reply_keyboards.clear()
        self._open_queries.clear()
        self._blocked.clear()

    def reset_counters(self) -> None:
        """Zero `requests_by_method`, `responses_by_status`, `too_many_requests`, `rate_limited`."""
        self.requests_by_method.clear()
        self.responses_by_status.clear()
        self.rate_limited.clear()
        self.too_many_requests = 0
        self._chat_windows.clear()
        self._global_window.clear()
