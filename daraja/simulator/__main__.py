"""``python -m daraja.simulator [--host H] [--port N]``: run the simulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from daraja.simulator.server import DEFAULT_HOST, DEFAULT_PORT, serve_forever
from daraja.simulator.settings import SimulatorSettings


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
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = SimulatorSettings(callback_delay=args.callback_delay)
    asyncio.run(_serve_until_signalled(args.host, args.port, settings))


if __name__ == "__main__":
    main()
