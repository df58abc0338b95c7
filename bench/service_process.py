"""The processes the service benchmarks measure, each started as a child of the benchmark.

``service``: the whole Lipa service (:class:`lipa.service.Service`: aiohttp server, the
python-telegram-bot application in webhook mode, the outbox sender and the other workers)
built from the arguments, until SIGTERM. It answers ``/healthz`` once everything is started;
SIGUSR1 makes it run a full garbage collection (the idle-conversations benchmark reads its
memory after one). With ``BENCH_STATEMENT_LOG`` set it writes every SQL statement and
transaction end to that file (:mod:`bench.statement_log`).

``simulator``: the Daraja simulator, answering ``/healthz`` too, so the service's CPU time
and memory are its own.

    python -m bench.service_process service --database-url URL --port N \\
        --telegram-base-url URL --telegram-token TOKEN --mpesa-base-url URL \\
        [--max-messages-per-second 30] [--staff-chat-id ID]
    python -m bench.service_process simulator --port N [--callback-delay 0.05]
        [--callback-copies 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal

from aiohttp import web

from bench.statement_log import STATEMENT_LOG, log_statements
from daraja.simulator.app import create_simulator_app
from daraja.simulator.settings import SimulatorSettings
from lipa.cli import configure_logging
from lipa.heap import freeze_startup_heap
from lipa.service import Service
from lipa.settings import Settings

WEBHOOK_SECRET = "bench-telegram-webhook-secret"
CALLBACK_SECRET = "bench-callback-secret"


def service_settings(arguments: argparse.Namespace) -> Settings:
    """The service's settings: webhook mode, the given database, Bot API and Daraja."""
    return Settings(
        _env_file=None,
        database_url=arguments.database_url,
        host="127.0.0.1",
        port=arguments.port,
        public_base_url=f"http://127.0.0.1:{arguments.port}",
        telegram_bot_token=arguments.telegram_token,
        telegram_api_base_url=arguments.telegram_base_url,
        telegram_mode="webhook",
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_max_messages_per_second=arguments.max_messages_per_second,
        staff_chat_id=arguments.staff_chat_id,
        mpesa_environment="simulator",
        mpesa_api_base_url=arguments.mpesa_base_url,
        mpesa_callback_secret=CALLBACK_SECRET,
        # Every simulated customer's update comes from the one fake Bot API at 127.0.0.1:
        # the per-address limit (100 at a time) would refuse some of benchmark 3's 500 and
        # leave those customers waiting a minute for a reply.
        max_connections_per_address=10_000,
        log_level="WARNING",
    )


async def run_service(settings: Settings) -> None:
    """Run the service until SIGTERM or SIGINT; collect garbage on SIGUSR1."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, gc.collect)
    service = Service(settings)
    await service.start()
    freeze_startup_heap()  # as `lipa serve` does
    try:
        await stop.wait()
    finally:
        await service.stop()


async def healthz(_request: web.Request) -> web.Response:
    """Liveness of the simulator process."""
    return web.json_response({"status": "ok"})


def run_simulator(port: int, callback_delay: float, callback_copies: int = 1) -> None:
    """Serve the Daraja simulator (every non-test phone pays) until SIGTERM.

    ``callback_copies`` 0: no push's callback is sent (the benchmark sends its own)."""
    settings = SimulatorSettings(
        callback_delay=callback_delay, callback_copies=callback_copies, seed=1
    )
    app = create_simulator_app(settings)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    service = commands.add_parser("service")
    service.add_argument("--database-url", required=True)
    service.add_argument("--port", type=int, required=True)
    service.add_argument("--telegram-base-url", required=True)
    service.add_argument("--telegram-token", required=True)
    service.add_argument("--mpesa-base-url", required=True)
    service.add_argument("--max-messages-per-second", type=int, default=30)
    service.add_argument("--staff-chat-id", type=int, default=None)
    simulator = commands.add_parser("simulator")
    simulator.add_argument("--port", type=int, required=True)
    simulator.add_argument("--callback-delay", type=float, default=0.05)
    simulator.add_argument("--callback-copies", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.command == "simulator":
        run_simulator(arguments.port, arguments.callback_delay, arguments.callback_copies)
        return
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("WARNING")
    statement_log = os.environ.get(STATEMENT_LOG)
    if statement_log:
        log_statements(statement_log)
    asyncio.run(run_service(service_settings(arguments)))


if __name__ == "__main__":
    main()
