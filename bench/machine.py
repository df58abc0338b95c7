"""A line saying what machine a benchmark ran on, with a fixed reference workload's CPU time.

CPU figures (milliseconds per checkout, callbacks per second) move with the machine: on the
same nominal 2-core machine, one session measured twice the time of another. Every benchmark
prints this line first, so figures from different days can be compared in proportion to the
reference workload's time (lower is faster).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

_CALLBACK = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": {
                "Item": [
                    {"Name": "Amount", "Value": 1.0},
                    {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                    {"Name": "TransactionDate", "Value": 20191219102115},
                    {"Name": "PhoneNumber", "Value": 254708374149},
                ]
            },
        }
    }
}


def _workload() -> int:
    """Interpreter-bound work of the kind Lipa does: JSON, dicts, strings, small objects."""
    checksum = 0
    for index in range(20_000):
        text = json.dumps(_CALLBACK)
        data = json.loads(text)
        items = {
            item["Name"]: item.get("Value")
            for item in data["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
        }
        line = f"{index}:{items['MpesaReceiptNumber']}:{items['Amount']:.0f}".upper()
        checksum += len(line) + len(sorted(items))
    return checksum


def reference_ms() -> float:
    """The fastest of three runs of the reference workload, in CPU milliseconds."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        _workload()
        best = min(best, (time.process_time() - started) * 1000)
    return best


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    """One line: cores, CPU model, Python, and the reference workload's CPU time."""
    return (
        f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}; "
        f"reference workload {reference_ms():.0f} ms CPU (bench/machine.py; lower is faster)"
    )


if __name__ == "__main__":
    print(machine_line())
