"""The ``lipa`` command line: one entry point, one sub-command per job.

Configuration problems end the command with one line per problem, each naming its variable;
any other failure ends it with one line saying what failed (exit status 1), never a
traceback (``--log-level DEBUG`` logs it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from lipa.logs import ContextTextFormatter, JsonFormatter, Redactor, secret_values
from lipa.settings import MissingSetting, Settings

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


log = logging.getLogger("lipa.cli")


class CommandError(Exception):
    """A command failed in a way the operator can fix; its message is shown as is."""


class ConfigurationProblems(Exception):
    """Several settings are missing or invalid; each problem is shown on its own line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def load_settings() -> Settings:
    """Read the settings once from the environment and `.env`."""
    return Settings()


def describe_validation_error(error: ValidationError) -> str:
    """Every invalid setting in one line, each naming its environment variable."""
    return "; ".join(validation_problems(error))


def validation_problems(error: ValidationError) -> list[str]:
    """One line per invalid setting, naming the environment variable."""
    lines = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        for line in message.splitlines():
            # Rules across settings name their variables in the sentence itself.
            lines.append(f"{name}: {line}" if name else line)
    return lines


def describe_failure(error: BaseException) -> str:
    """One sentence on an unexpected failure, without a traceback."""
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError

    if isinstance(error, DBAPIError | NoSuchModuleError) or (
        isinstance(error, OSError) and _raised_in_sqlalchemy(error)
    ):
        cause = error.orig if isinstance(error, DBAPIError) else error
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return f"cannot use the database at DATABASE_URL: {detail}"
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"failed: {type(error).__name__}" + (f": {detail}" if detail else "")


def _raised_in_sqlalchemy(error: BaseException) -> bool:
    """Whether ``error`` came up through SQLAlchemy (asyncpg's refused connection is an OSError)."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(f"{os.sep}sqlalchemy{os.sep}" in frame.filename for frame in frames)


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
        for line in validation_problems(error):
            print(f"lipa: invalid configuration: {line}", file=sys.stderr)
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
    except ConfigurationProblems as error:
        for problem in error.problems:
            print(f"lipa: {problem}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"lipa: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.debug("%s failed", args.command, exc_info=True)
        line = Redactor(secret_values(settings)).clean(describe_failure(error))
        print(f"lipa {args.command}: {line}", file=sys.stderr)
        return 1


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
