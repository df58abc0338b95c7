"""``python -m daraja.simulator [--host H] [--port N]``: run the simulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from daraja.simulator.server import DEFAULT_HOST, DEFAULT_PORT, serve_forever
from daraja.simulator.settings import MsisdnForm, SimulatorSettings


async def _serve_until_signalled(host: str, port: int, settings: SimulatorSettings) -> None:
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("must run inside a task")
    loop = asyncio.get_running_loop()
    # SIGTERM as well as Ctrl-C, so pending callbacks are cancelled and the port released.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve_forever(host, port, settings)


def main() -> None:
    """Parse the command line and serve until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m daraja.simulator", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--callback-delay", type=float, default=3.0, help="seconds")
    parser.add_argument(
        "--c2b-msisdn-form",
        choices=[form.value for form in MsisdnForm],
        default=MsisdnForm.MASKED.value,
        help="how C2B confirmations, Transaction Status and Pull show the payer's number",
    )
    parser.add_argument(
        "--no-c2b-validation", action="store_true", help="never call the validation URL"
    )
    parser.add_argument(
        "--results-time-out",
        action="store_true",
        help="answer every initiator request on its QueueTimeOutURL",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = SimulatorSettings(
        callback_delay=args.callback_delay,
        c2b_msisdn_form=MsisdnForm(args.c2b_msisdn_form),
        c2b_validation=not args.no_c2b_validation,
        results_time_out=args.results_time_out,
    )
    asyncio.run(_serve_until_signalled(args.host, args.port, settings))


if __name__ == "__main__":
    main()
