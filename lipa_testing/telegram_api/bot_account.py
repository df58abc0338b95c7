"""The bot's own account: ``getMe``, ``close``, ``logOut`` and its command menus
(``setMyCommands``, ``getMyCommands``, ``deleteMyCommands``, kept per scope and language).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from lipa_testing.telegram_api.callbacks import _Callbacks
from lipa_testing.telegram_api.params import _ApiError, _Params

_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")


class _BotAccount(_Callbacks):
    """The bot's account methods and command menus."""

    async def _get_me(self, params: _Params) -> Any:
        return self.bot_user()

    async def _close(self, params: _Params) -> Any:
        return True

    async def _log_out(self, params: _Params) -> Any:
        return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    async def _set_my_commands(self, params: _Params) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: command description is empty")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: _Params) -> Any:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: _Params) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True
