"""``lipa demo``: the whole checkout in a terminal, offline, on the embedded defaults.

The person at the terminal is the customer. Their lines go into the very same flow as
Telegram's updates; the STK push goes to an in-process Daraja simulator, whose callback travels
over HTTP to the real webhook server, and the outcome message comes back through the outbox.
Buttons are listed with numbers and chosen by number; ``share`` shares the demo phone number.
Input is read from standard input, so ``printf '/start\\n1\\n…' | lipa demo`` works; at the end
of input the demo waits for any payment in flight to settle, prints its outcome and exits.
With ``channel="whatsapp"`` each reply is shown as WhatsApp would show it (reply buttons, list
messages, split texts, within WhatsApp's limits) and typed lines are read as WhatsApp messages
are ("PAY WW-1042", "status", "lugha").
Each run starts from a fresh database (its SQLite file is deleted first, so the example orders
are unpaid again) unless ``keep`` is asked for.

``paybill <amount>`` pays the business's paybill from the demo phone, as a customer does from
the M-Pesa menu when the prompt never shows; the SMS the simulated phone received (with its
M-Pesa code) is printed, so "I already paid" can be tried with a real code: Lipa asks the
simulator's Transaction Status and credits the order when the money is there.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import httpx
from aiohttp import web
from sqlalchemy.engine import make_url

from checkout.conversation.model import ButtonPressed, Command, ContactShared, Event, TextMessage
from checkout.domain.phones import display_phone
from checkout.domain.records import Channel, Language, PaymentStatus
from checkout.domain.replies import Button, Reply, reply_from_payload
from checkout.domain.time import Clock
from checkout.i18n.payments.refusals import refusal_text
from checkout.outbox.delivery import DeliveryPolicy
from daraja.config import TransactionType
from daraja.result_codes import ResultCode
from daraja.simulator.settings import SimulatorSettings
from lipa.app import Lipa, open_lipa, utc_now
from lipa.demo_refund import refund_last_payment, wait_for_refund
from lipa.settings import MpesaEnvironment, Settings
from storage.database import is_sqlite
from webhook.app import WebhookConfig, create_app
from webhook.initiator import InitiatorResultHandler
from whatsapp.events import event_from_text
from whatsapp.rendering import Message, message_text, render

CHAT = "terminal"
DEMO_PHONE = "254712345678"
DEMO_ORDERS = (("WW-1042", 1500, "Duvet and curtains"), ("WW-1043", 650, "Shirts, 5 pieces"))
OUTCOMES = {
    "paid": ResultCode.PAID,
    "cancelled": ResultCode.CANCELLED,
    "insufficient": ResultCode.INSUFFICIENT_BALANCE,
    "timeout": ResultCode.NO_ANSWER,
    "wrong-pin": ResultCode.WRONG_PIN,
}
SETTLE_WAIT = timedelta(seconds=60)
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./lipa-demo.db"
# "paybill 1500": pay the paybill straight from the demo phone.
PAYBILL = re.compile(r"\s*paybill\s+(\d{1,6})\s*", re.IGNORECASE)
# SQLite's own companions of a database file (journal, write-ahead log, shared memory).
SQLITE_COMPANIONS = ("", "-journal", "-wal", "-shm")


class DemoError(Exception):
    """The demo cannot run as asked; the message says why in one line."""


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None (in memory, or not SQLite)."""
    if not is_sqlite(database_url):
        return None
    path = make_url(database_url).database
    if not path or path == ":memory:":
        return None
    return Path(path)


def start_fresh(database_url: str) -> None:
    """Delete the demo's SQLite database so this run starts with unpaid example orders.

    Only a SQLite file is deleted: another database may hold more than the demo's data, so
    the demo refuses to run on one without ``--keep`` rather than wipe it.
    """
    if not is_sqlite(database_url):
        raise DemoError(
            "the demo starts fresh by deleting its SQLite file; to run it on another "
            "database, keep that database's state with --keep"
        )
    path = sqlite_file(database_url)
    if path is None:
        return
    for suffix in SQLITE_COMPANIONS:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free at the moment of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Terminal:
    """Prints replies with numbered buttons and remembers them to map numbers back."""

    out: TextIO
    buttons: list[Button] = field(default_factory=list)
    contact_requested: bool = False
    whatsapp: bool = False  # show replies as WhatsApp messages, read lines as WhatsApp's
    language: Language = "en"

    def show(self, reply: Reply) -> None:
        """Print one reply; its buttons become the numbered choices."""
        if self.whatsapp:
            for message in render(reply, self.language):
                self._show_whatsapp(message)
            self.out.flush()
            return
        self.out.write("\n" + reply.text + "\n")
        flat = [button for row in reply.buttons for button in row]
        if flat:
            self.buttons = flat
        for number, button in enumerate(flat, start=1):
            self.out.write(f"  {number}) {button.label}\n")
        if reply.request_contact:
            self.contact_requested = True
            self.out.write(f"  share) {reply.request_contact} ({display_phone(DEMO_PHONE)})\n")
        self.out.flush()

    def _show_whatsapp(self, message: Message) -> None:
        """One WhatsApp message: its text, then its reply buttons or list rows, numbered."""
        self.out.write("\n" + message_text(message) + "\n")
        interactive = message.get("interactive")
        if not isinstance(interactive, dict):
            return
        action = interactive["action"]
        if interactive["type"] == "button":
            choices = [(b["reply"]["id"], f"[ {b['reply']['title']} ]") for b in action["buttons"]]
        else:
            self.out.write(f"  ☰ {action['button']}\n")
            choices = [
                (
                    row["id"],
                    row["title"] + (f" — {row['description']}" if "description" in row else ""),
                )
                for section in action["sections"]
                for row in section["rows"]
            ]
        self.buttons = [Button(title, data) for data, title in choices]
        for number, (_data, title) in enumerate(choices, start=1):
            self.out.write(f"  {number}) {title}\n")

    def event_for(self, line: str) -> Event | None:
        """The checkout event a typed line stands for."""
        text = line.strip()
        if not text:
            return None
        if self.whatsapp and not (text.isdigit() and len(text) <= 2) and text.lower() != "share":
            return event_from_text(text)
        if text.startswith("/"):
            head, _, argument = text.partition(" ")
            return Command(head[1:].lower(), argument.strip())
        if text.lower() == "share":
            return ContactShared(DEMO_PHONE, is_own=True)
        if text.isdigit() and 1 <= int(text) <= len(self.buttons) and len(text) <= 2:
            return ButtonPressed(self.buttons[int(text) - 1].data)
        return TextMessage(text)


class TerminalSender:
    """Delivers outbox messages for the demo chat by printing them."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Print the message."""
        self._terminal.show(reply_from_payload(payload))


def demo_settings(settings: Settings, database_url: str, port: int) -> Settings:
    """The settings the demo runs on: the simulator, a local SQLite file, a local server."""
    return settings.model_copy(
        update={
            "database_url": database_url,
            "mpesa_environment": MpesaEnvironment.SIMULATOR,
            "mpesa_api_base_url": None,
            "mpesa_consumer_key": None,
            "mpesa_consumer_secret": None,
            "mpesa_passkey": None,
            "mpesa_callback_secret": None,
            "mpesa_business_shortcode": "174379",
            "mpesa_party_b": None,
            "mpesa_transaction_type": TransactionType.PAYBILL,
            "host": "127.0.0.1",
            "port": port,
            "public_base_url": f"http://127.0.0.1:{port}",
            "staff_chat_id": None,
            # --refund: the demo's two staff users; any other staff user may approve.
            "refund_approvers": [],
            "refund_owner_ids": [],
        }
    )


async def seed_orders(lipa: Lipa) -> None:
    """Create the demo's example orders if they are not there yet."""
    async with lipa.units() as unit:
        for reference, amount, description in DEMO_ORDERS:
            if await unit.orders.get(reference) is None:
                await unit.orders.create(reference, amount, known=True, description=description)
        await unit.commit()


async def read_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``stream`` as they come, then None at the end (read in a thread)."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    loop.run_in_executor(None, pump)
    return queue


async def run_demo(
    settings: Settings,
    *,
    outcome: str = "paid",
    database_url: str = DEFAULT_DATABASE_URL,
    keep: bool = False,
    approve_after: float = 2.0,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    clock: Clock = utc_now,
    channel: str = "telegram",
    refund: bool = False,
) -> int:
    """Run the demo until the end of input; return the exit status.

    ``channel`` is ``telegram`` (buttons as a list) or ``whatsapp`` (WhatsApp's shapes).
    With ``refund`` the paid payment is then refunded (asked by one staff user, approved by
    another, sent by Reversal), and the customer's message about it shown.

    Without ``keep`` the database starts empty (see :func:`start_fresh`).
    """
    if not keep:
        start_fresh(database_url)
    out = stdout or sys.stdout
    whatsapp = channel == "whatsapp"
    terminal = Terminal(out, whatsapp=whatsapp, language=settings.default_language)
    port = free_port()
    settings = demo_settings(settings, database_url, port)
    simulator = SimulatorSettings(callback_delay=approve_after, default_result=OUTCOMES[outcome])
    async with open_lipa(
        settings,
        senders={Channel.DEMO: TerminalSender(terminal)},
        simulator_settings=simulator,
        delivery=DeliveryPolicy(idle_poll_seconds=0.5),
        clock=clock,
    ) as lipa:
        await seed_orders(lipa)
        workers = [lipa.delivery.run_forever, lipa.reconciler.run_forever]
        results = None
        if lipa.initiators is not None:
            # "I already paid": Transaction Status answers come back to the result routes.
            workers.append(lipa.initiators.run_forever)
            refunds = lipa.refunds if refund else None
            if refunds is not None:
                workers.append(refunds.sender.run_forever)
            results = InitiatorResultHandler(
                lipa.initiators,
                lipa.settlement.bodies,
                lipa.callback_secret,
                others=(refunds.take,) if refunds is not None else (),
            )
        app = create_app(
            WebhookConfig(
                settlement=lipa.callbacks,
                callback_secret=lipa.callback_secret,
                workers=tuple(workers),
                initiator=results,
            )
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            if whatsapp:
                out.write(
                    f"Lipa demo on WhatsApp: you are a customer of {settings.business_name} "
                    f"writing from {display_phone(DEMO_PHONE)}.\nSend PAY {DEMO_ORDERS[0][0]} "
                    "(the text of the order's wa.me link) or menu; choose buttons and list "
                    "rows by number.\n"
                )
            else:
                out.write(
                    f"Lipa demo: you are a customer of {settings.business_name} on a phone "
                    f"({display_phone(DEMO_PHONE)}).\nType /start to begin; choose buttons by "
                    f"number; 'share' shares your number. Try order {DEMO_ORDERS[0][0]}.\n"
                    "'paybill 1500' pays the paybill from your phone instead; then choose "
                    '"I already paid" and type the code from the SMS.\n'
                )
            out.flush()
            lines = await read_lines(stdin or sys.stdin)
            while (line := await lines.get()) is not None:
                paybill = PAYBILL.fullmatch(line)
                if paybill is not None:
                    out.write(await pay_paybill(lipa, int(paybill.group(1))))
                    out.flush()
                    continue
                event = terminal.event_for(line)
                if event is None:
                    continue
                answer = await lipa.conversations.answer(
                    Channel.DEMO, CHAT, event, phone=DEMO_PHONE
                )
                terminal.language = answer.language
                for reply in answer.replies:
                    terminal.show(reply)
                if answer.refused is not None:
                    terminal.show(Reply(refusal_text(answer.language, answer.refused)))
            if not await wait_for_payments(lipa):
                out.write("\nThe payment is still waiting for M-Pesa; /status will tell later.\n")
                return 1
            if refund:
                said, refund_id = await refund_last_payment(lipa, CHAT)
                out.write(said)
                out.flush()
                if refund_id is not None and not await wait_for_refund(lipa, refund_id):
                    out.write("\nThe refund is still waiting for M-Pesa.\n")
                    return 1
        finally:
            await runner.cleanup()
    return 0


async def pay_paybill(lipa: Lipa, amount: int) -> str:
    """Pay the paybill from the demo phone through the simulator; the SMS the phone received."""
    if lipa.simulator is None:
        return "\n(paybill needs the in-process simulator)\n"
    async with httpx.AsyncClient(base_url=lipa.daraja_base_url, timeout=10.0) as http:
        paid = await http.post(
            "/simulator/c2b/pay", json={"phone": DEMO_PHONE, "amount": amount, "account": ""}
        )
        if paid.status_code != 200:
            return f"\nM-Pesa refused the payment: {paid.json().get('error', paid.text)}\n"
        inbox = await http.get(f"/simulator/phones/{DEMO_PHONE}/messages")
    messages = inbox.json().get("messages", [])
    if not messages:
        return "\nNo SMS reached the phone.\n"
    return f"\n[SMS on {display_phone(DEMO_PHONE)}] {messages[-1]['text']}\n"


async def wait_for_payments(lipa: Lipa) -> bool:
    """Wait until no demo payment is pending, no code is being checked with M-Pesa, and every
    outcome has been printed; False on timeout."""
    deadline = datetime.now(UTC) + SETTLE_WAIT
    while datetime.now(UTC) < deadline:
        async with lipa.units() as unit:
            latest = await unit.payments.latest_for_chat(Channel.DEMO, CHAT)
            due = await unit.outbox.next_due_at()
        checking = await lipa.initiators.store.unfinished() if lipa.initiators is not None else 0
        pending = latest is not None and latest.status is PaymentStatus.PENDING
        if not pending and due is None and checking == 0:
            return True
        await asyncio.sleep(0.1)
    return False
