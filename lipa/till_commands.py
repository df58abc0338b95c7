"""The till's sub-commands: register the C2B and Pull URLs, check the statement, pay the simulator.

``lipa mpesa register-urls`` and ``lipa mpesa register-pull`` hand Daraja the URLs built from
PUBLIC_BASE_URL and the callback secret (refusing, before Daraja would, a URL with a word it
refuses); ``lipa reconcile --statement`` runs one statement check; ``lipa simulator pay`` pays
the simulator's paybill with any account number, as a customer at their phone would.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx

from daraja import DarajaError
from daraja.url_rules import callback_url_problems
from lipa.app import open_lipa
from lipa.build.credentials import callback_secret
from lipa.cli import CommandError
from lipa.settings import MpesaEnvironment, Settings
from lipa.statement import statement_check
from webhook.till import c2b_confirm_path, c2b_validate_path, pull_path


def register(mpesa_sub: Any) -> None:
    """Add ``register-urls`` and ``register-pull`` to ``lipa mpesa``."""
    urls = mpesa_sub.add_parser(
        "register-urls", help="register the C2B confirmation and validation URLs with Daraja"
    )
    urls.set_defaults(handler=run_register_urls)
    pull = mpesa_sub.add_parser(
        "register-pull", help="register the shortcode for Pull Transactions (the statement)"
    )
    pull.add_argument(
        "--nominated-number",
        default=None,
        help="the phone Safaricom registers (default: MPESA_PULL_NOMINATED_NUMBER)",
    )
    pull.set_defaults(handler=run_register_pull)


def add_statement_option(reconcile: argparse.ArgumentParser) -> None:
    """Add ``--statement`` (and ``--hours``) to ``lipa reconcile``."""
    reconcile.add_argument(
        "--statement",
        action="store_true",
        help="check the shortcode's statement instead: every transaction matched or queued",
    )
    reconcile.add_argument(
        "--hours",
        type=float,
        default=48.0,
        help="with --statement: how far back to read (default and most: 48)",
    )


def add_pay_option(simulator: argparse.ArgumentParser) -> None:
    """Add ``lipa simulator pay --phone --amount --account [--url]``."""
    simulator.add_argument(
        "action",
        nargs="?",
        choices=("run", "pay"),
        default="run",
        help="run the simulator (default), or pay its paybill as a customer (C2B)",
    )
    simulator.add_argument("--phone", help="with pay: the paying phone")
    simulator.add_argument("--amount", type=int, help="with pay: whole shillings")
    simulator.add_argument("--account", default="", help="with pay: the account number typed")
    simulator.add_argument(
        "--url", default=None, help="with pay: the simulator (default: MPESA_API_BASE_URL)"
    )


def _urls(settings: Settings, *paths: str) -> list[str]:
    """The public URLs for ``paths``; CommandError naming what Daraja would refuse."""
    base = settings.public_base_url.rstrip("/")
    urls = [base + path for path in paths]
    strict = settings.mpesa_environment is not MpesaEnvironment.SIMULATOR
    for url in urls:
        problems = callback_url_problems(url, require_public_https=strict)
        if problems:
            shown = url.replace(callback_secret(settings), "<secret>")
            raise CommandError(f"Daraja would refuse {shown}: " + "; ".join(problems))
    return urls


async def run_register_urls(args: argparse.Namespace, settings: Settings) -> int:
    """Register the C2B URLs and print Daraja's answer."""
    from lipa.commands import _daraja, _daraja_failure

    secret = callback_secret(settings)
    confirm, validate = _urls(settings, c2b_confirm_path(secret), c2b_validate_path(secret))
    async with _daraja(settings) as client:
        try:
            answer = await client.register_c2b_urls(
                confirmation_url=confirm,
                validation_url=validate,
                response_type=settings.mpesa_c2b_default_response,
            )
        except DarajaError as error:
            raise _daraja_failure(error) from error
    print(json.dumps(answer, indent=2))
    return 0


async def run_register_pull(args: argparse.Namespace, settings: Settings) -> int:
    """Register the shortcode for Pull Transactions and print Daraja's answer."""
    from lipa.commands import _daraja, _daraja_failure

    number = args.nominated_number or settings.mpesa_pull_nominated_number
    if not number:
        raise CommandError(
            "no nominated number: set MPESA_PULL_NOMINATED_NUMBER or give --nominated-number"
        )
    (url,) = _urls(settings, pull_path(callback_secret(settings)))
    async with _daraja(settings) as client:
        try:
            answer = await client.register_pull(nominated_number=number, callback_url=url)
        except DarajaError as error:
            raise _daraja_failure(error) from error
    print(json.dumps(answer, indent=2))
    return 0


async def run_statement(args: argparse.Namespace, settings: Settings) -> int:
    """One statement check; one line per transaction, then the totals."""
    if settings.mpesa_base_url is None:
        raise CommandError(
            "MPESA_API_BASE_URL is not set: the statement check needs the Daraja of the shortcode"
        )
    hours = min(max(args.hours, 0.1), 48.0)
    async with open_lipa(settings) as lipa:
        check = statement_check(lipa)
        end = lipa.till.clock()
        try:
            report = await check.run_once(end - timedelta(hours=hours), end)
        except DarajaError as error:
            from lipa.commands import _daraja_failure

            raise _daraja_failure(error) from error
    for line, result in report.results:
        order = result.order.reference if result.order else None
        order = order or (result.entry.order_reference if result.entry else None)
        print(
            f"{line.transaction_id} KES {line.amount}: {result.outcome.value}"
            + (f" (order {order})" if order else "")
        )
    counts: Counter[str] = Counter(result.outcome.value for _, result in report.results)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    print(f"{len(report.results)} transactions" + (f": {summary}" if summary else ""))
    return 0


async def run_simulator_pay(args: argparse.Namespace, settings: Settings) -> int:
    """Pay the simulator's paybill from a phone with any account number (C2B)."""
    base = args.url or settings.mpesa_api_base_url
    if not base:
        raise CommandError("give --url or set MPESA_API_BASE_URL to the running simulator")
    if not args.phone or args.amount is None:
        raise CommandError("lipa simulator pay needs --phone and --amount (and --account)")
    body = {"phone": args.phone, "amount": args.amount, "account": args.account}
    async with httpx.AsyncClient(base_url=base.rstrip("/"), timeout=30) as http:
        try:
            answer = await http.post("/simulator/c2b/pay", json=body)
        except httpx.HTTPError as error:
            raise CommandError(f"cannot reach the simulator at {base}: {error}") from error
    if answer.status_code >= 400:
        raise CommandError(f"the simulator refused: {answer.status_code} {answer.text[:200]}")
    print(json.dumps(answer.json(), indent=2))
    return 0
