"""The sub-commands of ``lipa`` and what each one runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from dataclasses import asdict
from datetime import datetime
from typing import Any

import httpx

from checkout.domain.time import NAIROBI
from daraja import (
    DarajaApiError,
    DarajaAuthError,
    DarajaClient,
    DarajaError,
    DarajaValidationError,
    StkQueryPending,
    build_http_client,
    security_credential,
)
from daraja.simulator.server import DEFAULT_PORT, serve_forever
from daraja.simulator.settings import DEFAULT_INITIATOR_PASSWORD, SimulatorSettings
from lipa import till_commands
from lipa.app import open_lipa
from lipa.build.credentials import callback_secret, daraja_config
from lipa.build.policies import callback_url
from lipa.cli import CommandError, ConfigurationProblems
from lipa.demo import DEFAULT_DATABASE_URL, OUTCOMES, DemoError, run_demo
from lipa.doctor import Doctor
from lipa.heap import freeze_startup_heap
from lipa.initiator import InitiatorUnset, credential
from lipa.safety import announce_simulator, is_simulated, message_mark
from lipa.service import Service, ServiceError
from lipa.settings import MpesaEnvironment, Settings, serve_problems
from storage.database import create_engine
from storage.migrate import current_revision, upgrade
from webhook.initiator import looks_like_initiator_answer, replay_initiator_answer
from webhook.mpesa import replay_callback
from webhook.till import looks_like_c2b, replay_c2b


def register(sub: Any) -> None:
    """Add every sub-command to the parser's sub-parsers."""
    migrate = sub.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    migrate.set_defaults(handler=run_migrate)

    doctor = sub.add_parser(
        "doctor", help="check a deployment before it goes live (one line per check, with the fix)"
    )
    doctor.set_defaults(handler=run_doctor)

    serve = sub.add_parser("serve", help="run the service: webhook server, Telegram bot, workers")
    serve.set_defaults(handler=run_serve)

    demo = sub.add_parser(
        "demo", help="pay an order in this terminal, offline (built-in Daraja simulator)"
    )
    demo.add_argument(
        "--outcome",
        choices=sorted(OUTCOMES),
        default="paid",
        help="what the simulated phone does with the M-Pesa prompt (default: paid)",
    )
    demo.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="where the demo keeps its data (default: ./lipa-demo.db)",
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="keep the earlier runs' orders and payments (default: start fresh)",
    )
    demo.add_argument(
        "--approve-after", type=float, default=2.0, help="seconds the phone takes to answer"
    )
    demo.add_argument(
        "--channel",
        choices=("telegram", "whatsapp"),
        default="telegram",
        help="show the checkout as Telegram (default) or WhatsApp renders it",
    )
    demo.add_argument(
        "--refund",
        action="store_true",
        help="then give the money back: one staff user asks, another approves (Reversal)",
    )
    demo.set_defaults(handler=run_demo_command)

    simulator = sub.add_parser("simulator", help="run the Daraja simulator standalone")
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=DEFAULT_PORT)
    simulator.add_argument("--callback-delay", type=float, default=3.0, help="seconds")
    till_commands.add_pay_option(simulator)
    simulator.set_defaults(handler=run_simulator)

    reconcile = sub.add_parser(
        "reconcile", help="settle pending payments by asking Daraja (one pass, for cron)"
    )
    till_commands.add_statement_option(reconcile)
    reconcile.set_defaults(handler=run_reconcile)

    installments = sub.add_parser("installments", help="Buy-Now-Pay-Later installments")
    installments_sub = installments.add_subparsers(
        dest="installments_command", required=True, metavar="ACTION"
    )
    collect = installments_sub.add_parser(
        "collect", help="one pass of due reminders and installment pushes (for cron)"
    )
    collect.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        metavar="DATETIME",
        help="act as if it were this ISO date-time (default: now; no zone means Nairobi time)",
    )
    collect.set_defaults(handler=run_installments_collect)

    callbacks = sub.add_parser("callbacks", help="the M-Pesa callback bodies Lipa kept")
    callbacks_sub = callbacks.add_subparsers(
        dest="callbacks_command", required=True, metavar="ACTION"
    )
    listing = callbacks_sub.add_parser("list", help="the newest kept callback bodies, one a line")
    listing.add_argument(
        "--failed", action="store_true", help="only the refused and failed ones (to replay)"
    )
    listing.add_argument("--limit", type=int, default=50, help="how many (default: 50)")
    listing.set_defaults(handler=run_callbacks_list)
    replay = callbacks_sub.add_parser(
        "replay", help="parse and settle a kept callback body again (after a fix)"
    )
    replay.add_argument("body_id", type=int, metavar="ID")
    replay.set_defaults(handler=run_callbacks_replay)

    mpesa = sub.add_parser("mpesa", help="talk to Daraja with the MPESA_* settings")
    mpesa_sub = mpesa.add_subparsers(dest="mpesa_command", required=True, metavar="ACTION")
    token = mpesa_sub.add_parser("token", help="check the consumer key and secret")
    token.set_defaults(handler=run_mpesa_token)
    push = mpesa_sub.add_parser("stk-push", help="send one STK push and print Daraja's answer")
    push.add_argument("--phone", required=True)
    push.add_argument("--amount", required=True, type=int)
    push.add_argument("--reference", required=True)
    push.add_argument("--description", default="Payment")
    push.set_defaults(handler=run_mpesa_push)
    query = mpesa_sub.add_parser("query", help="ask Daraja how an STK push ended")
    query.add_argument("checkout_request_id")
    query.set_defaults(handler=run_mpesa_query)
    made = mpesa_sub.add_parser(
        "credential",
        help="print the initiator's SecurityCredential (MPESA_INITIATOR_PASSWORD encrypted "
        "with the certificate in MPESA_CERTIFICATE_PATH)",
    )
    made.add_argument(
        "--certificate",
        metavar="PATH",
        help="the certificate file (default: MPESA_CERTIFICATE_PATH)",
    )
    made.set_defaults(handler=run_mpesa_credential)
    till_commands.register(mpesa_sub)


async def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the migrations and say which revision the database is at."""
    engine = create_engine(settings.database_url, sqlite_driver=settings.sqlite_driver)
    try:
        await upgrade(engine)
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    print(f"database migrated to revision {revision}")
    return 0


async def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Run every check and print one line each; exit status 1 when any failed."""
    findings = await Doctor(settings).run()
    for finding in findings:
        print(finding.line(), flush=True)
    failed = sum(1 for finding in findings if not finding.ok)
    print(
        f"{len(findings)} checks, {failed} failed" if failed else f"{len(findings)} checks passed"
    )
    return 1 if failed else 0


async def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the service until SIGINT or SIGTERM.

    Every missing setting is reported at once; MPESA_ENVIRONMENT must be set explicitly, and
    with ``simulator`` a banner says that no money moves.
    """
    problems = serve_problems(settings)
    if problems:
        raise ConfigurationProblems(problems)
    if is_simulated(settings):
        announce_simulator(settings.log_format)
    # On the simulator every text to customers and staff starts with "[SIMULATED] ".
    service = Service(settings, text_mark=message_mark(settings))
    try:
        await service.start()
    except ServiceError as error:
        raise CommandError(str(error)) from error
    freeze_startup_heap()
    print(f"Lipa is serving on {service.base_url} (Ctrl-C to stop)", flush=True)
    try:
        await wait_for_signal()
    finally:
        await service.stop()
    return 0


async def wait_for_signal() -> None:
    """Return when the process is asked to stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_demo_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the offline terminal demo."""
    if args.log_level is None:
        # The terminal is the customer's phone screen: keep routine logs off it.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        return await run_demo(
            settings,
            outcome=args.outcome,
            database_url=args.database_url,
            keep=args.keep,
            approve_after=args.approve_after,
            channel=args.channel,
            refund=args.refund,
        )
    except DemoError as error:
        raise CommandError(str(error)) from error


async def run_simulator(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Daraja simulator until interrupted (or, with ``pay``, pay its paybill once)."""
    if args.action == "pay":
        return await till_commands.run_simulator_pay(args, settings)
    print(f"Daraja simulator on http://{args.host}:{args.port}", flush=True)
    await serve_forever(args.host, args.port, SimulatorSettings(callback_delay=args.callback_delay))
    return 0


async def run_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    """One reconciliation pass; prints one line per payment looked at (or, with
    ``--statement``, one per transaction of the shortcode's statement)."""
    if args.statement:
        return await till_commands.run_statement(args, settings)
    if settings.mpesa_base_url is None:
        raise CommandError(
            "MPESA_API_BASE_URL is not set: reconciling needs the Daraja that took the pushes"
        )
    async with open_lipa(settings) as lipa:
        checked = await lipa.reconciler.run_once()
    for item in checked:
        payment = item.payment
        code = "" if item.result_code is None else f" (result code {item.result_code})"
        print(
            f"payment {payment.id} order {payment.order_reference} "
            f"KES {payment.amount}: {item.result.value}{code}"
        )
    settled = sum(1 for item in checked if item.result.value in ("settled", "expired"))
    print(f"{len(checked)} pending payments checked, {settled} settled")
    return 0


async def run_callbacks_list(args: argparse.Namespace, settings: Settings) -> int:
    """One line per kept callback body, newest first."""
    async with open_lipa(settings) as lipa:
        kept = await lipa.settlement.bodies.recent(limit=args.limit, needing_replay=args.failed)
    for body in kept:
        received = body.received
        print(
            f"callback {body.id} {received.received_at.isoformat(timespec='seconds')} "
            f"from {received.source_address or '-'} {len(received.body)} bytes: "
            f"{body.status.value}"
            + (f" ({body.checkout_request_id})" if body.checkout_request_id else "")
            + (f": {body.note}" if body.note else "")
            + (" [replayed]" if body.replayed_at else "")
        )
    print(f"{len(kept)} callback bodies")
    return 0


async def run_callbacks_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Parse and settle one kept body again; prints what happened in one line."""
    async with open_lipa(settings) as lipa:
        kept = await lipa.settlement.bodies.get(args.body_id)
        if kept is None:
            raise CommandError(f"no callback body {args.body_id} (see: lipa callbacks list)")
        if looks_like_c2b(kept.received.body):  # a C2B confirmation: credited, not settled
            settled, line = await replay_c2b(lipa.till, lipa.settlement.bodies, args.body_id)
        elif lipa.initiators is not None and looks_like_initiator_answer(kept):
            settled, line = await replay_initiator_answer(
                lipa.initiators,
                lipa.settlement.bodies,
                args.body_id,
                # Refunds' Reversal and B2C results, which the desk did not store.
                others=(lipa.refunds.take,) if lipa.refunds is not None else (),
            )
        else:
            settled, line = await replay_callback(lipa.settlement, args.body_id)
    print(line)
    return 0 if settled else 1


def parse_as_of(value: str) -> datetime:
    """An ISO date-time for ``--as-of``; one without a zone is Nairobi time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"not an ISO date-time: {value!r} (e.g. 2026-12-05T10:00)"
        ) from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=NAIROBI)


async def run_installments_collect(args: argparse.Namespace, settings: Settings) -> int:
    """One collection pass; prints one line per installment pushed and the totals."""
    if settings.mpesa_base_url is None:
        raise CommandError(
            "MPESA_API_BASE_URL is not set: collecting needs the Daraja the service talks to"
        )
    async with open_lipa(settings) as lipa:
        report = await lipa.collector.run_once(args.as_of)
    for item in report.pushes:
        plan, installment = item.plan, item.installment
        print(
            f"plan {plan.id} order {plan.order_reference} installment {installment.number} "
            f"of {plan.count}, KES {installment.amount}: {item.outcome.value}"
        )
    if report.overdue:
        print(f"{report.overdue} installments overdue after their grace period")
    print(f"{report.reminders} reminders queued, {len(report.pushes)} installment pushes tried")
    return 0


@contextlib.asynccontextmanager
async def _daraja(settings: Settings) -> Any:
    base_url = settings.mpesa_base_url
    if base_url is None:
        raise CommandError(
            "MPESA_API_BASE_URL is not set: with MPESA_ENVIRONMENT=simulator, start "
            "`lipa simulator` and point MPESA_API_BASE_URL at it"
        )
    config = daraja_config(settings)
    timeout = httpx.Timeout(settings.mpesa_timeout_seconds, connect=5.0)
    transport = settings.daraja_http_transport
    async with build_http_client(base_url, timeout=timeout, http_transport=transport) as http:
        yield DarajaClient(http, config)


def _daraja_failure(error: DarajaError) -> CommandError:
    if isinstance(error, DarajaApiError):
        return CommandError(f"Daraja refused: {error.error_code} {error.error_message}")
    if isinstance(error, DarajaAuthError):
        return CommandError("Daraja refused the consumer key and secret")
    if isinstance(error, DarajaValidationError):
        return CommandError(f"invalid input: {error}")
    return CommandError(f"Daraja: {error}")


async def run_mpesa_token(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch a token to check the credentials."""
    async with _daraja(settings) as client:
        try:
            await client.check_credentials()
        except DarajaError as error:
            raise _daraja_failure(error) from error
    print("Daraja accepted the consumer key and secret")
    return 0


async def run_mpesa_push(args: argparse.Namespace, settings: Settings) -> int:
    """Send one STK push and print the accepted answer as JSON."""
    url = callback_url(settings, callback_secret(settings))
    async with _daraja(settings) as client:
        try:
            accepted = await client.stk_push(
                args.phone, args.amount, args.reference, args.description, url
            )
        except DarajaError as error:
            raise _daraja_failure(error) from error
    print(json.dumps(asdict(accepted), indent=2))
    return 0


async def run_mpesa_credential(args: argparse.Namespace, settings: Settings) -> int:
    """Print the initiator's SecurityCredential, to paste into MPESA_SECURITY_CREDENTIAL.

    Printed on stdout only, never logged. On the simulator without a certificate file, the
    running simulator's certificate (MPESA_API_BASE_URL) and its test password are used.
    """
    if args.certificate:
        settings = settings.model_copy(update={"mpesa_certificate_path": args.certificate})
    try:
        print(credential(settings))
        return 0
    except ValueError as error:
        raise CommandError(str(error)) from error
    except InitiatorUnset as unset:
        base_url = settings.mpesa_base_url
        if settings.mpesa_environment is not MpesaEnvironment.SIMULATOR or base_url is None:
            raise CommandError(str(unset)) from unset
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as http:
        try:
            answer = await http.get("/simulator/certificate")
            answer.raise_for_status()
        except httpx.HTTPError as error:
            raise CommandError(
                f"the simulator's certificate could not be fetched: {error}"
            ) from error
    password = settings.mpesa_initiator_password
    text = password.get_secret_value() if password is not None else ""
    print(security_credential(text or DEFAULT_INITIATOR_PASSWORD, answer.content))
    return 0


async def run_mpesa_query(args: argparse.Namespace, settings: Settings) -> int:
    """Ask how a push ended and print the answer as JSON."""
    async with _daraja(settings) as client:
        try:
            outcome = await client.stk_query(args.checkout_request_id)
        except DarajaError as error:
            raise _daraja_failure(error) from error
    if isinstance(outcome, StkQueryPending):
        print(json.dumps({"checkout_request_id": outcome.checkout_request_id, "pending": True}))
    else:
        print(json.dumps({**asdict(outcome), "pending": False}, indent=2))
    return 0
