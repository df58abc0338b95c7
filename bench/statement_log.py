"""Every SQL statement a process runs, and every transaction's start and end, in a file.

The service process (:mod:`bench.service_process`) calls :func:`log_statements` when
``BENCH_STATEMENT_LOG`` names a file; :mod:`bench.checkout_statements` writes a mark line
into the same file before each checkout and reads it back with :func:`checkouts`. A line is
``<unix time> TAB <thread> TAB <kind> TAB <text>``: kind ``STMT`` (the statement, whitespace
folded), ``BEGIN``, ``COMMIT``, ``ROLLBACK`` or ``MARK`` (the benchmark's own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import event
from sqlalchemy.engine import Engine

STATEMENT_LOG = "BENCH_STATEMENT_LOG"

# How the periodic workers' transactions begin: they run by the clock, not per checkout (the
# deferred USSD pushes, initiator checks, refunds, plan reminders, the reconciler, the
# outbox sender's own passes). Matched against a transaction's first statement.
WORKER_STARTS = (
    "UPDATE push_requests",
    "SELECT push_requests",
    "SELECT min(coalesce(push_requests",
    "SELECT initiator_requests",
    "UPDATE refunds",
    "SELECT installments.id FROM installments",
    "SELECT payments.id FROM payments WHERE payments.status",
    "SELECT payment_events.payload FROM payment_events WHERE payment_events.kind",
    "outbox.id IN (SELECT candidate",
    "WITH candidates AS",
    "SELECT min(outbox.next_attempt_at)",
)


def log_statements(path: str) -> None:
    """Append every engine's statements and transaction ends in this process to ``path``."""
    # Line-buffered: the benchmark's marks go to the same file from another process.
    out = Path(path).open("a", buffering=1)  # noqa: SIM115 - open for the process's life

    def write(kind: str, text: str = "") -> None:
        name = threading.current_thread().name
        out.write(f"{time.time():.6f}\t{name}\t{kind}\t{text}\n")

    def statement(*arguments: Any) -> None:
        write("STMT", " ".join(str(arguments[2]).split()))

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", lambda _connection: write("BEGIN"))
    event.listen(Engine, "commit", lambda _connection: write("COMMIT"))
    event.listen(Engine, "rollback", lambda _connection: write("ROLLBACK"))


def mark(out: TextIO, text: str) -> None:
    """Write the benchmark's mark ``text`` (a checkout begins)."""
    out.write(f"{time.time():.6f}\tbenchmark\tMARK\t{text}\n")
    out.flush()


@dataclass(slots=True)
class Transaction:
    """One transaction's statements, in the thread that ran it; ``end`` COMMIT or ROLLBACK."""

    thread: str
    statements: list[str] = field(default_factory=list)
    end: str = ""

    @property
    def workers(self) -> bool:
        """Whether a periodic worker ran it (see ``WORKER_STARTS``)."""
        return bool(self.statements) and any(m in self.statements[0] for m in WORKER_STARTS)


@dataclass(slots=True)
class Checkout:
    """What the service ran between one mark and the next."""

    name: str
    transactions: list[Transaction] = field(default_factory=list)

    @property
    def own(self) -> list[Transaction]:
        """Its transactions, without the periodic workers'."""
        return [t for t in self.transactions if not t.workers]

    @property
    def statements(self) -> int:
        """How many statements its own transactions ran."""
        return sum(len(t.statements) for t in self.own)


def checkouts(path: Path) -> Iterator[Checkout]:
    """The log's checkouts, one per mark, each with its transactions in order.

    A thread has one transaction open at a time here (the loop's units of work follow each
    other closely but a statement belongs to the latest begun in its thread)."""
    current: Checkout | None = None
    open_in: dict[str, Transaction] = {}
    for line in path.read_text().splitlines():
        _at, thread, kind, text = ([*line.split("\t", 3), ""])[:4]
        if kind == "MARK":
            if current is not None:
                yield current
            current, open_in = Checkout(text), {}
            continue
        if current is None:
            continue
        if kind == "BEGIN" or (kind == "STMT" and thread not in open_in):
            open_in[thread] = Transaction(thread)
            current.transactions.append(open_in[thread])
        if kind == "STMT":
            open_in[thread].statements.append(text)
        elif kind in ("COMMIT", "ROLLBACK") and thread in open_in:
            open_in.pop(thread).end = kind
    if current is not None:
        yield current
