"""The CPU one Daraja request costs the service, on each ``DARAJA_HTTP_TRANSPORT``.

A Daraja-shaped server (an STK push answer, as JSON) runs in a child process; this process
sends it the same signed-looking POSTs through :func:`daraja.transport.build_http_client`,
first with the aiohttp transport, then with httpx's own, and reads its own CPU time per
request (the server's work is not counted).

    python -m bench.daraja_transport [--requests 3000] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from aiohttp import web

from bench.common import child_server
from bench.machine import machine_line
from daraja.transport import HttpTransport, build_http_client
from lipa.demo import free_port

PUSH_ANSWER = {
    "MerchantRequestID": "29115-34620561-1",
    "CheckoutRequestID": "ws_CO_191220191020363925",
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}
PUSH_BODY = {
    "BusinessShortCode": "174379",
    "Password": "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZT"
    "ZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3",
    "Timestamp": "20160216165627",
    "TransactionType": "CustomerPayBillOnline",
    "Amount": 100,
    "PartyA": "254708374149",
    "PartyB": "174379",
    "PhoneNumber": "254708374149",
    "CallBackURL": "https://example.com/cb/abc",
    "AccountReference": "F-1",
    "TransactionDesc": "Payment",
}


def serve(port: int) -> None:
    async def push(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(PUSH_ANSWER)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/mpesa/stkpush/v1/processrequest", push)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def measure(base_url: str, kind: HttpTransport, count: int, concurrency: int) -> str:
    async with build_http_client(base_url, http_transport=kind) as http:
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                answer = await http.post(
                    "/mpesa/stkpush/v1/processrequest",
                    json=PUSH_BODY,
                    headers={"Authorization": "Bearer token"},
                )
                answer.raise_for_status()
                answer.json()

        for index in range(200):  # warm-up: connections opened, code paths run once
            queue.put_nowait(index)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        for index in range(count):
            queue.put_nowait(index)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return f"| {kind.value} | {count} | {cpu / count * 1e3:.2f} | {count / wall:,.0f} |"


async def main_async(count: int, concurrency: int) -> None:
    port = free_port()
    print(f"Daraja transport: {count} push-shaped requests, {concurrency} at a time")
    print("| transport | requests | client CPU ms/request | requests/s |")
    print("| --- | --- | --- | --- |")
    async with child_server("bench.daraja_transport", "serve", str(port), port=port):
        for kind in HttpTransport:
            print(await measure(f"http://127.0.0.1:{port}", kind, count, concurrency), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    asyncio.run(main_async(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
