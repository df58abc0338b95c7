"""The SQL statements and transactions of one whole checkout, counted in the service.

Benchmark 3's checkout (:mod:`bench.whole_checkouts`: ``/start pay_<order>``, the amount,
the number, Pay, the paid message) made by customers one after another, each given half a
second after its paid message for the outbox to mark its messages sent. The service
(:mod:`bench.service_process`) logs every statement (:mod:`bench.statement_log`); the
periodic workers' transactions, which run by the clock and not per checkout, are left out.
Prints each checkout's statements and transactions, the most common count, and that
checkout's transactions one by one.

    python -m bench.checkout_statements [--customers 12] [--database both] [--log FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import add_database_option, databases_chosen
from bench.statement_log import STATEMENT_LOG, Checkout, checkouts, mark
from bench.whole_checkouts import checkout, checkout_service
from lipa.cli import configure_logging

# After the paid message: time for the outbox to mark the checkout's messages sent.
SETTLE_SECONDS = 0.5


async def run(kind: str, customers: int, log: Path) -> None:
    """``customers`` checkouts one after another on a fresh ``kind`` database, logged to ``log``."""
    env = {STATEMENT_LOG: str(log)}
    async with checkout_service(kind, customers, max_rate=1000, env=env) as shop:
        times: dict[str, list[float]] = defaultdict(list)
        with log.open("a") as out:
            for index in range(customers):
                mark(out, f"checkout {index}")
                await checkout(shop.telegram, shop.inbox, index, times)
                await asyncio.sleep(SETTLE_SECONDS)
            mark(out, "end")


def report(kind: str, found: list[Checkout]) -> None:
    """Print the counts per checkout and the most common checkout's transactions."""
    counts = Counter((c.statements, len(c.own)) for c in found)
    (statements, transactions), _ = counts.most_common(1)[0]
    each = ", ".join(f"{c.statements}/{len(c.own)}" for c in found)
    print(f"{kind}: statements/transactions per checkout: {each}")
    print(f"{kind}: most often **{statements} statements in {transactions} transactions**")
    typical = next(c for c in found if (c.statements, len(c.own)) == (statements, transactions))
    for transaction in typical.own:
        print(f"  {transaction.thread} {transaction.end or 'open'} ({len(transaction.statements)})")
        for statement in transaction.statements:
            print(f"    {statement[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=12)
    add_database_option(parser)
    parser.add_argument("--log", type=Path, default=None, help="keep the statement log here")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("ERROR")
    for kind in databases_chosen(args.database):
        log = args.log or Path(tempfile.mkdtemp(prefix="lipa-statements-")) / "statements.log"
        if args.log is not None and len(databases_chosen(args.database)) > 1:
            log = args.log.with_suffix(f".{kind}{args.log.suffix}")
        log.unlink(missing_ok=True)
        asyncio.run(run(kind, args.customers, log))
        # The first checkout warms the service up; the end mark closes the last one.
        report(kind, [found for found in checkouts(log) if found.name != "end"][1:])


if __name__ == "__main__":
    main()
