"""``lipa doctor``: check a deployment before it goes live, one line per check with its fix.

Each check talks to the real thing where it can: Daraja (token, an STK Push Query for an id
that cannot exist, which must fail as "invalid id" and not as "wrong credentials", and the
``Date`` header of its answers), the database, and Telegram (``getMe``, ``getWebhookInfo``).
What Daraja cannot be asked without charging a phone (the transaction type against the till
or paybill, the callback URL's rules) is checked against Daraja's documented rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from alembic.script import ScriptDirectory

from checkout.domain.time import Clock
from daraja import (
    TOKEN_PATH,
    DarajaApiError,
    DarajaAuthError,
    DarajaClient,
    DarajaError,
    DarajaUnavailable,
    StkQueryPending,
    build_http_client,
)
from daraja.config import TransactionType
from daraja.url_rules import callback_url_problems, is_public_host, refused_words
from lipa.build.credentials import daraja_config
from lipa.settings import (
    MissingSetting,
    MpesaEnvironment,
    Settings,
    TelegramMode,
    is_placeholder,
)
from storage.database import create_engine
from storage.migrate import alembic_config, current_revision
from webhook.mpesa import callback_path
from webhook.telegram import TELEGRAM_PATH

# Daraja checks each request's Timestamp against its own clock; a few seconds are harmless.
MAX_CLOCK_DRIFT_SECONDS = 30.0
# A CheckoutRequestID Daraja cannot know (its ids look like ws_CO_<date><digits>).
UNKNOWN_CHECKOUT_ID = "ws_CO_00000000000000000000"
SECRET_SHOWN_AS = "<MPESA_CALLBACK_SECRET>"


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of one check: passed or not, what was seen, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The check as one line of output."""
        mark = "ok  " if self.ok else "FAIL"
        fix = f" Fix: {self.fix}" if not self.ok and self.fix else ""
        return f"{mark} {self.name}: {self.detail}.{fix}"


def _now() -> datetime:
    return datetime.now(UTC)


class Doctor:
    """Runs every check for one configuration; :meth:`run` returns the findings in order."""

    def __init__(self, settings: Settings, *, clock: Clock = _now) -> None:
        self._settings = settings
        self._clock = clock

    async def run(self) -> list[Finding]:
        """Every check, in the order an operator would fix them."""
        findings = [self.environment()]
        findings += await self.daraja()
        findings.append(self.transaction_type())
        findings.append(self.callback_url())
        # The money that comes outside the STK push (C2B, initiator, Pull, B2C refunds).
        from lipa.doctor_till import till_findings

        findings += till_findings(self._settings)
        findings.append(await self.database())
        findings += await self.telegram()
        return findings

    # --- M-Pesa -------------------------------------------------------------------------------

    def environment(self) -> Finding:
        """Whether real money moves at all."""
        environment = self._settings.mpesa_environment
        if environment is MpesaEnvironment.SIMULATOR:
            return Finding(
                "M-Pesa environment",
                False,
                "MPESA_ENVIRONMENT=simulator: no money moves, every message says SIMULATED",
                "set MPESA_ENVIRONMENT=sandbox to test with Safaricom, production to go live",
            )
        return Finding("M-Pesa environment", True, f"{environment.value}")

    async def daraja(self) -> list[Finding]:
        """Token, shortcode and passkey, and clock drift, against the configured Daraja."""
        base_url = self._settings.mpesa_base_url
        if base_url is None:
            return [
                Finding(
                    "Daraja",
                    True,
                    "the built-in simulator answers (nothing to check; set MPESA_API_BASE_URL "
                    "to check a standalone simulator)",
                )
            ]
        probe = self._settings
        if probe.mpesa_transaction_type is TransactionType.PAYBILL:
            # A stray MPESA_PARTY_B is the transaction type check's finding; a query needs none.
            probe = probe.model_copy(update={"mpesa_party_b": None})
        try:
            config = daraja_config(probe)
        except MissingSetting as missing:
            return [Finding("Daraja credentials", False, str(missing).rstrip("."), "set it")]
        timeout = httpx.Timeout(self._settings.mpesa_timeout_seconds, connect=5.0)
        transport = self._settings.daraja_http_transport
        async with build_http_client(base_url, timeout=timeout, http_transport=transport) as http:
            client = DarajaClient(http, config, now=self._clock)
            token = await self._token(client, base_url)
            findings = [token]
            if token.ok:
                findings.append(await self._shortcode_and_passkey(client))
            findings.append(await self._clock_drift(http))
        return findings

    async def _token(self, client: DarajaClient, base_url: str) -> Finding:
        name = "Daraja token"
        try:
            await client.check_credentials()
        except DarajaAuthError:
            return Finding(
                name,
                False,
                "Daraja refused the consumer key and secret",
                "copy MPESA_CONSUMER_KEY and MPESA_CONSUMER_SECRET from your app on "
                "developer.safaricom.co.ke (sandbox and production apps differ)",
            )
        except DarajaError as error:
            return Finding(
                name,
                False,
                f"no token from {base_url} ({type(error).__name__})",
                "check the server can reach Daraja (MPESA_ENVIRONMENT, MPESA_API_BASE_URL)",
            )
        return Finding(name, True, f"accepted by {base_url}")

    async def _shortcode_and_passkey(self, client: DarajaClient) -> Finding:
        name = "Shortcode and passkey"
        shortcode = self._settings.mpesa_business_shortcode
        fix = (
            "MPESA_PASSKEY must be the Lipa na M-Pesa Online passkey Safaricom issued for "
            f"MPESA_BUSINESS_SHORTCODE ({shortcode}; for a till, the store number)"
        )
        try:
            answer = await client.stk_query(UNKNOWN_CHECKOUT_ID)
        except DarajaApiError as error:
            message = error.error_message or ""
            if error.is_wrong_credentials:
                return Finding(name, False, 'Daraja says "Wrong credentials"', fix)
            if error.is_bad_request and "shortcode" in message.lower():
                return Finding(name, False, f"Daraja does not know shortcode {shortcode}", fix)
            if error.is_bad_request:
                # The expected failure: signed right, only the made-up id is unknown.
                return Finding(name, True, f"accepted for shortcode {shortcode}")
            return Finding(
                name,
                False,
                f"unexpected answer {error.error_code or error.status}: {message}",
                fix,
            )
        except DarajaUnavailable as error:
            return Finding(name, False, f"Daraja did not answer ({error})", "try again later")
        except DarajaError as error:
            return Finding(name, False, f"unexpected answer: {type(error).__name__}", fix)
        shown = "in progress" if isinstance(answer, StkQueryPending) else "a result"
        return Finding(
            name,
            False,
            f"Daraja answered {shown} for an id that cannot exist",
            "check MPESA_API_BASE_URL points at Daraja",
        )

    async def _clock_drift(self, http: httpx.AsyncClient) -> Finding:
        name = "Clock"
        try:
            answer = await http.get(TOKEN_PATH, params={"grant_type": "client_credentials"})
        except httpx.HTTPError as error:
            return Finding(name, False, f"no answer from Daraja ({type(error).__name__})")
        header = answer.headers.get("Date")
        if header is None:
            return Finding(name, False, "Daraja's answer has no Date header to compare with")
        drift = (self._clock() - parsedate_to_datetime(header)).total_seconds()
        detail = f"{abs(drift):.0f} s {'ahead of' if drift > 0 else 'behind'} Daraja's clock"
        if abs(drift) > MAX_CLOCK_DRIFT_SECONDS:
            return Finding(
                name,
                False,
                detail,
                "synchronise the server's clock (e.g. enable NTP: timedatectl set-ntp true); "
                "Daraja refuses requests whose Timestamp is off",
            )
        return Finding(name, True, detail)

    def transaction_type(self) -> Finding:
        """The transaction type against paybill or till (checked locally: a push costs money)."""
        settings = self._settings
        name = "Transaction type"
        shortcode, party_b = settings.mpesa_business_shortcode, settings.mpesa_party_b or ""
        if settings.mpesa_transaction_type is TransactionType.PAYBILL:
            if party_b and party_b != shortcode:
                return Finding(
                    name,
                    False,
                    f"CustomerPayBillOnline pays the paybill {shortcode}, but MPESA_PARTY_B is "
                    f"{party_b}",
                    "for a paybill leave MPESA_PARTY_B empty; for a till set "
                    "MPESA_TRANSACTION_TYPE=CustomerBuyGoodsOnline",
                )
            return Finding(name, True, f"paybill {shortcode} (CustomerPayBillOnline)")
        if party_b == shortcode:
            return Finding(
                name,
                False,
                f"CustomerBuyGoodsOnline with the till number equal to the store number "
                f"{shortcode}",
                "MPESA_BUSINESS_SHORTCODE is the store (head office) number and MPESA_PARTY_B "
                "the till number; for a paybill use CustomerPayBillOnline",
            )
        return Finding(name, True, f"till {party_b} of store {shortcode} (CustomerBuyGoodsOnline)")

    def callback_url(self) -> Finding:
        """The callback URL against Daraja's rules (https, public, no refused words)."""
        settings = self._settings
        name = "Callback URL"
        secret = settings.mpesa_callback_secret
        value = secret.get_secret_value() if secret is not None else ""
        simulated = settings.mpesa_environment is MpesaEnvironment.SIMULATOR
        if is_placeholder(value) and not simulated:
            return Finding(
                name, False, "MPESA_CALLBACK_SECRET is not set", "set a long random value"
            )
        shown = settings.public_base_url.rstrip("/") + callback_path(SECRET_SHOWN_AS)
        problems = callback_url_problems(
            settings.public_base_url, require_public_https=not simulated
        )
        words = refused_words(value)
        if words:
            problems.append(
                "MPESA_CALLBACK_SECRET contains " + ", ".join(repr(word) for word in words)
            )
        if problems:
            return Finding(
                name,
                False,
                f"Daraja will not call {shown}: " + "; ".join(problems),
                "serve PUBLIC_BASE_URL over https on a public name, and keep M-Pesa, "
                "Safaricom, exe, exec, cmd, sql and query out of it and of the secret",
            )
        return Finding(name, True, shown)

    # --- the database ---------------------------------------------------------------------------

    async def database(self) -> Finding:
        """The database answers and is at the newest migration."""
        name = "Database"
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        engine = create_engine(
            self._settings.database_url, sqlite_driver=self._settings.sqlite_driver
        )
        try:
            revision = await current_revision(engine)
        except Exception as error:  # any driver's error: unreachable, refused, unknown database
            cause = getattr(error, "orig", None) or error
            return Finding(
                name,
                False,
                f"cannot connect ({type(cause).__name__})",
                "check DATABASE_URL and that the database server is running",
            )
        finally:
            await engine.dispose()
        if revision != head:
            return Finding(
                name,
                False,
                f"at revision {revision or 'none'}, the code needs {head}",
                "run `lipa migrate`",
            )
        return Finding(name, True, f"reachable, migrated to {head}")

    # --- Telegram ---------------------------------------------------------------------------

    async def telegram(self) -> list[Finding]:
        """The bot token (getMe) and the webhook (getWebhookInfo), when a token is configured."""
        settings = self._settings
        token = settings.telegram_bot_token
        value = token.get_secret_value() if token is not None else ""
        if is_placeholder(value):
            return [Finding("Telegram", True, "not configured (TELEGRAM_BOT_TOKEN is empty)")]
        api = settings.telegram_api_base_url + value
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0)) as http:
            me = await _bot_api(http, api, "getMe")
            if me is None or not me.get("ok"):
                return [
                    Finding(
                        "Telegram token",
                        False,
                        "Telegram refused TELEGRAM_BOT_TOKEN"
                        if me is not None
                        else "Telegram did not answer",
                        "copy the token @BotFather gave (/token) into TELEGRAM_BOT_TOKEN",
                    )
                ]
            username = me.get("result", {}).get("username", "?")
            findings = [Finding("Telegram token", True, f"bot @{username}")]
            info = await _bot_api(http, api, "getWebhookInfo")
        findings.append(self._webhook(info))
        return findings

    def _webhook(self, info: dict[str, Any] | None) -> Finding:
        name = "Telegram webhook"
        settings = self._settings
        if info is None or not info.get("ok"):
            return Finding(name, False, "getWebhookInfo failed", "try again later")
        result = info.get("result", {})
        url = str(result.get("url") or "")
        expected = settings.public_base_url.rstrip("/") + TELEGRAM_PATH
        if settings.telegram_mode is TelegramMode.POLLING:
            if url:
                return Finding(
                    name, True, f"a webhook is set ({url}); `lipa serve` removes it to poll"
                )
            return Finding(name, True, "none (TELEGRAM_MODE=polling)")
        if not settings.public_base_url.startswith("https://") or not is_public_host(
            httpx.URL(settings.public_base_url).host
        ):
            return Finding(
                name,
                False,
                f"Telegram sends updates only to a public https URL, not {expected}",
                "serve PUBLIC_BASE_URL over https on a public name, or use TELEGRAM_MODE=polling",
            )
        if url and url != expected:
            return Finding(
                name,
                False,
                f"Telegram sends updates to {url}, not {expected}",
                "check PUBLIC_BASE_URL; `lipa serve` registers the webhook at start",
            )
        error = result.get("last_error_message")
        if error:
            return Finding(
                name,
                False,
                f"Telegram's last delivery failed: {error}",
                "check that PUBLIC_BASE_URL reaches this server",
            )
        if not url:
            return Finding(name, True, f"not set yet; `lipa serve` registers {expected}")
        return Finding(name, True, expected)


async def _bot_api(http: httpx.AsyncClient, api: str, method: str) -> dict[str, Any] | None:
    """A Bot API answer as JSON, or None when Telegram could not be reached."""
    try:
        answer = await http.post(f"{api}/{method}")
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None  # the URL carries the token: never put the error's text anywhere
    return body if isinstance(body, dict) else None
