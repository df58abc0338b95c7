"""Success callbacks in Daraja's shape, and POSTing them the way Daraja does, n at a time."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import percentile

# A callback's TransactionDate: Daraja's YYYYMMDDhhmmss in Nairobi time.
TRANSACTION_DATE = 20261128101500
_HEADERS = {"Content-Type": "application/json;charset=UTF-8"}


def success_callback(
    *,
    merchant: str,
    checkout: str,
    amount: int,
    receipt: str,
    phone: int,
    date: int = TRANSACTION_DATE,
) -> bytes:
    """The body of a success callback for the push ``checkout`` (of ``merchant``)."""
    return json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": merchant,
                    "CheckoutRequestID": checkout,
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": float(amount)},
                            {"Name": "MpesaReceiptNumber", "Value": receipt},
                            {"Name": "Balance"},
                            {"Name": "TransactionDate", "Value": date},
                            {"Name": "PhoneNumber", "Value": phone},
                        ]
                    },
                }
            }
        }
    ).encode()


def pending_payment(
    index: int,
    *,
    order_id: int,
    channel: str,
    chat_key: str,
    amount: int,
    phone: str,
    now: datetime,
) -> dict[str, Any]:
    """A payments row as a push Daraja accepted leaves it, awaiting its callback: request ids
    ``bench-m-<index>`` and ``ws_CO_bench_<index>`` (what a benchmark's callbacks name)."""
    return {
        "order_id": order_id,
        "channel": channel,
        "chat_key": chat_key,
        "language": "en",
        "amount": amount,
        "phone": phone,
        "status": "pending",
        "merchant_request_id": f"bench-m-{index}",
        "checkout_request_id": f"ws_CO_bench_{index}",
        "created_at": now,
        "updated_at": now,
        "check_attempts": 0,
    }


@dataclass(frozen=True, slots=True)
class Acks:
    """The acknowledgements of one burst of callbacks."""

    seconds: float
    latencies: list[float]  # ms, one per callback
    failures: int  # answers other than 200

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def post_callbacks(url: str, bodies: list[bytes], concurrency: int) -> Acks:
    """POST the bodies to ``url``, ``concurrency`` at a time, each timed to its answer."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while queue:
                body = queue.pop()
                started = time.perf_counter()
                async with session.post(url, data=body, headers=_HEADERS) as answer:
                    await answer.read()
                    failures += answer.status != 200
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Acks(time.perf_counter() - started, latencies, failures)


@dataclass(frozen=True, slots=True)
class Burst:
    """A burst's acknowledgements in short: answers a second, p50 and p99 (ms), failures."""

    rate: float
    p50: float
    p99: float
    failures: int


# wrk's script: POST each body once, in order, on ``-c`` connections. wrk calls ``request``
# once before it connects, to check the request (that one is not sent). A connection that
# finds no body left sends a request whose body never comes: it waits, unanswered and
# untimed, so only the bodies' answers are in wrk's figures. When every body was answered
# the script says DONE (wrk itself runs for its whole ``-d``; the caller interrupts it, which
# ends it at once with its summary, and the waiting requests are dropped unread).
_WRK_CALLBACKS = r"""
local bodies, index, answered, probed = {}, 0, 0, false
local json = {["Content-Type"] = "application/json;charset=UTF-8"}
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function request()
  if not probed then
    probed = true
    return wrk.format("POST", nil, json, bodies[1])
  end
  index = index + 1
  if index <= #bodies then
    return wrk.format("POST", nil, json, bodies[index])
  end
  return "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port
    .. "\r\nContent-Length: 64\r\n\r\n"
end
function response(status, headers, body)
  answered = answered + 1
  if answered == #bodies then
    io.write("DONE\n")
    io.flush()
  end
end
function done(summary, latency, requests)
  io.write(string.format("ACKS %d %d %.3f %.3f %.6f\n", summary.requests,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
"""


async def post_callbacks_wrk(
    url: str, bodies: list[bytes], concurrency: int, *, nice: int | None = None
) -> Burst:
    """POST the bodies to ``url`` with wrk (written in C: the load generator leaves the two
    cores to the service), ``concurrency`` at a time; wrk runs at nice value ``nice`` if
    given (this process may run at another: see ``bench.whole_service``'s fakes)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--client wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        script, lines = Path(folder) / "callbacks.lua", Path(folder) / "bodies.txt"
        script.write_text(_WRK_CALLBACKS)
        # One body a line: the callbacks' JSON is written without line breaks.
        lines.write_bytes(b"".join(body.replace(b"\n", b" ") + b"\n" for body in bodies))
        command = [wrk, "-t1", f"-c{concurrency}", "-d600s", "--latency", "-s", str(script)]
        process = await asyncio.create_subprocess_exec(
            *command,
            url,
            "--",
            str(lines),
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=None if nice is None else functools.partial(_set_nice, nice),
        )
        assert process.stdout is not None
        said: list[str] = []
        async for line in process.stdout:
            said.append(line.decode())
            if line.strip() == b"DONE":
                process.send_signal(signal.SIGINT)
        await process.wait()
        output = "".join(said)
    found = re.search(r"^ACKS (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", output, re.M)
    if found is None:
        raise SystemExit(f"wrk said:\n{output}")
    answered, failures = int(found.group(1)), int(found.group(2))
    p50, p99, seconds = (float(found.group(n)) for n in (3, 4, 5))
    return Burst(answered / seconds, p50, p99, failures)


def _set_nice(value: int) -> None:
    os.setpriority(os.PRIO_PROCESS, 0, value)


async def post_burst(
    url: str, bodies: list[bytes], concurrency: int, client: str, *, nice: int | None = None
) -> Burst:
    """POST the bodies with ``client`` (``python``: this process's aiohttp clients, ``wrk``,
    at nice value ``nice`` if given)."""
    if client == "wrk":
        return await post_callbacks_wrk(url, bodies, concurrency, nice=nice)
    acks = await post_callbacks(url, bodies, concurrency)
    p50, p99 = percentile(acks.latencies, 0.5), percentile(acks.latencies, 0.99)
    return Burst(acks.rate, p50, p99, acks.failures)
