"""The ``lipa`` command line: one entry point, one sub-command per job.

Configuration problems end the command with one line naming the variable, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from lipa.logs import ContextTextFormatter, JsonFormatter, Redactor, secret_values
from lipa.settings import MissingSetting, Settings

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


class CommandError(Exception):
    """A command failed in a way the operator can fix; its message is shown as is."""


def load_settings() -> Settings:
    """Read the settings once from the environment and `.env`."""
    return Settings()


def describe_validation_error(error: ValidationError) -> str:
    """One line per invalid setting, naming the environment variable."""
    lines = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        lines.append(f"{name}: {item['msg']}")
    return "; ".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    from lipa import commands

    parser = argparse.ArgumentParser(
        prog="lipa", description="Lipa: conversational M-Pesa checkout."
    )
    parser.add_argument("--log-level", default=None, help="override LOG_LEVEL for this run")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``lipa`` command and return its exit status."""
    # Opt in to PTB's timedelta periods now, instead of a deprecation warning per 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(f"lipa: invalid configuration: {describe_validation_error(error)}", file=sys.stderr)
        return 2
    configure_logging(
        args.log_level or settings.log_level,
        fmt=settings.log_format,
        secrets=secret_values(settings),
    )
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args, settings))
    except MissingSetting as error:
        print(f"lipa: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"lipa: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def configure_logging(level: str, *, fmt: str = "text", secrets: Sequence[str] = ()) -> None:
    """Logs on stderr, text or JSON lines, secrets redacted and phones masked.

    The httpx logger stays at WARNING: its URLs carry bot tokens.
    """
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setFormatter(
        JsonFormatter(redactor)
        if fmt == "json"
        else ContextTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
    for noisy in ("httpx", "httpcore", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover - `python -m lipa.cli`
    raise SystemExit(main())
