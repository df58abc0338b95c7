"""Lipa's configuration: one pydantic-settings class read once from the environment and `.env`.

The composition root (:mod:`lipa.app`) reads it once and passes values down; no other module
reads the environment. Every field is documented in `.env.example` (a test checks that).
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from daraja.config import TransactionType
from daraja.transport import HttpTransport
from daraja.url_rules import refused_words
from storage.database import SqliteDriver

PLACEHOLDER_PREFIXES = ("change-me", "changeme", "your-", "<", "xxx")
MIN_SECRET_LENGTH = 16  # bearer tokens and signing secrets: long enough not to be guessed


class MpesaEnvironment(StrEnum):
    """Which Daraja Lipa talks to."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"
    SIMULATOR = "simulator"


class TelegramMode(StrEnum):
    """How Telegram updates reach Lipa."""

    POLLING = "polling"
    WEBHOOK = "webhook"


MPESA_BASE_URLS = {
    MpesaEnvironment.SANDBOX: "https://sandbox.safaricom.co.ke",
    MpesaEnvironment.PRODUCTION: "https://api.safaricom.co.ke",
}


def _split_list(value: object) -> object:
    """Accept a comma-separated string for list fields (as env variables are)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every setting Lipa reads; names are the environment variables' names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    # --- the business and the server
    database_url: str = "sqlite+aiosqlite:///./lipa.db"
    # How SQLite statements reach aiosqlite's thread: Lipa's one-trip driver or SQLAlchemy's own.
    sqlite_driver: SqliteDriver = SqliteDriver.LIPA
    business_name: str = "Wildwash"
    # Phone or WhatsApp number given wherever a text tells customers to contact the business.
    business_contact: str | None = Field(default=None, max_length=40)
    default_language: Literal["en", "sw"] = "en"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str = "http://127.0.0.1:8080"
    accept_unknown_orders: bool = True
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Seconds a client has to send a request's body once its headers are in (else 408).
    body_read_seconds: float = Field(default=10.0, gt=0, le=300)
    # Requests one client address may have in progress at once (behind a proxy, the address
    # comes from MPESA_CALLBACK_TRUSTED_HEADER); more get 429.
    max_connections_per_address: int = Field(default=100, ge=1, le=100_000)
    # The outbox is delivered on an event loop of its own, in a thread with its own database
    # engine and HTTP clients, so callbacks are acknowledged on a loop that never runs delivery
    # work (off: delivered on the server's loop, as before).
    outbox_in_thread: bool = True
    # The outbox is delivered by a child process of its own (its own interpreter, engine, HTTP
    # clients and Telegram bot), which `lipa serve` starts, wakes and restarts; it takes
    # precedence over OUTBOX_IN_THREAD. Not with WhatsApp, whose sender lives in the server
    # (the outbox then stays as OUTBOX_IN_THREAD says).
    outbox_in_process: bool = False
    # How much lower than the server's the delivering process's CPU priority is (added to its
    # nice value; 0: the same): when both want the CPU, the kernel runs the server's
    # acknowledgements first, and delivery catches up whenever the server waits. Unset: 10 on
    # PostgreSQL, 0 on SQLite (whose one write lock the two processes share: a descheduled
    # child holding it would hold up the server's settling).
    outbox_process_nice: int | None = Field(default=None, ge=0, le=19)

    # --- Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: TelegramMode = TelegramMode.POLLING
    telegram_webhook_secret: SecretStr | None = None
    staff_chat_id: int | None = None
    staff_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # Staff in a private chat with the bot see customers' whole numbers (and names where
    # Telegram or M-Pesa gave one) to call them back; groups and logs stay masked.
    staff_see_full_phones: bool = True
    # Sends per second to Telegram overall (about 30 for a bot; more with paid broadcasts).
    telegram_max_messages_per_second: int = Field(default=30, ge=1, le=1000)
    # The largest document the Bot API takes, in MB: 50 at api.telegram.org, up to 2,000 on a
    # self-hosted Bot API server (TELEGRAM_API_BASE_URL). A larger /export is sent zipped.
    telegram_upload_limit_mb: int = Field(default=50, ge=1, le=2000)

    # --- M-Pesa (Daraja); the MPESA_* names match the business's existing deployment
    mpesa_environment: MpesaEnvironment = MpesaEnvironment.SIMULATOR
    mpesa_api_base_url: str | None = None
    mpesa_consumer_key: SecretStr | None = None
    mpesa_consumer_secret: SecretStr | None = None
    mpesa_business_shortcode: str = "174379"  # Daraja's sandbox (and the simulator's) paybill
    mpesa_passkey: SecretStr | None = None
    mpesa_transaction_type: TransactionType = TransactionType.PAYBILL
    mpesa_party_b: str | None = None
    mpesa_callback_secret: SecretStr | None = None
    mpesa_timeout_seconds: float = Field(default=30.0, gt=0)
    # What carries Daraja's (and the SMS API's) requests: the aiohttp transport or httpx's own.
    daraja_http_transport: HttpTransport = HttpTransport.AIOHTTP
    mpesa_callback_allowed_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mpesa_callback_trusted_header: str | None = None
    mpesa_confirm_with_query: bool | None = None
    # The initiator of Transaction Status (and Reversal, B2C): an API operator of the shortcode
    # and its SecurityCredential, given as generated on the portal or made from the password.
    mpesa_initiator_name: str | None = None
    mpesa_security_credential: SecretStr | None = None
    mpesa_initiator_password: SecretStr | None = None
    mpesa_certificate_path: str | None = None

    # --- reconciliation and delivery
    reconcile_after_seconds: float = Field(default=60.0, gt=0)
    payment_expiry_seconds: float = Field(default=600.0, gt=0)
    # Nairobi hour at which the staff get yesterday's statement line.
    reconcile_report_hour: int = Field(default=8, ge=0, le=23)

    # --- payments to the paybill or till directly (C2B) and the statement check (Pull)
    # What Safaricom does when Lipa's validation does not answer in time (register-urls).
    mpesa_c2b_default_response: Literal["Completed", "Cancelled"] = "Completed"
    # Refuse (C2B00012) a payment whose account number names no order (needs validation on).
    mpesa_c2b_reject_unknown_accounts: bool = False
    mpesa_pull_enabled: bool = False
    mpesa_pull_interval_seconds: float = Field(default=3600.0, ge=60, le=86_400)
    # The number Safaricom registers for Pull Transactions (register-pull).
    mpesa_pull_nominated_number: str | None = None

    # --- push limits: the STK pushes people ask for (chat, USSD), not the business's own
    push_limit_per_phone: int = Field(default=3, ge=1, le=1000)
    push_limit_phone_window_seconds: float = Field(default=600.0, gt=0, le=86_400)
    push_limit_per_sender: int = Field(default=10, ge=1, le=10_000)
    push_limit_sender_window_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    push_pause_after_cancels: int = Field(default=2, ge=1, le=100)
    push_pause_seconds: float = Field(default=3600.0, ge=0, le=86_400)

    # --- USSD and SMS (Africa's Talking); the USSD routes are served once AT_API_KEY is set
    at_username: str | None = None
    at_api_key: SecretStr | None = None
    at_sender_id: str | None = None
    at_api_base_url: str = "https://api.africastalking.com"
    ussd_push_delay_seconds: float = Field(default=2.0, ge=0, le=30)
    # A caller whose session dropped mid-payment is offered to carry on for this long (0: off);
    # at most the conversation's 15 idle minutes, after which the flow starts over anyway.
    ussd_resume_minutes: int = Field(default=10, ge=0, le=15)
    ussd_allowed_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The code callers dial (e.g. *384*1042#): named in USSD customers' plan reminders (SMS).
    ussd_code: str = Field(default="", pattern=r"^(\*[0-9*]{1,20}#)?$")

    @field_validator("ussd_allowed_ips", mode="before")
    @classmethod
    def _ussd_ip_list(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("ussd_allowed_ips")
    @classmethod
    def _ussd_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ip_network(item, strict=False)
        return value

    @field_validator("at_api_base_url")
    @classmethod
    def _sms_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def sms_enabled(self) -> bool:
        """Whether SMS can be sent (AT_API_KEY set): USSD customers hear outcomes only so."""
        key = self.at_api_key.get_secret_value() if self.at_api_key is not None else ""
        return not is_placeholder(key)

    @property
    def ussd_networks(self) -> list[IPv4Network | IPv6Network]:
        """The allowlist of USSD gateway source networks (empty: any source)."""
        return [ip_network(item, strict=False) for item in self.ussd_allowed_ips]

    # --- WhatsApp (Business Cloud API); its routes are served once the first four are set
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_display_number: str | None = None  # digits, e.g. 254712345678, for wa.me links
    # Approved templates for messages outside the 24-hour window (one body parameter each).
    whatsapp_template_payment_result: str | None = None
    whatsapp_template_payment_result_language: str = "en"
    whatsapp_template_reminder: str | None = None
    whatsapp_template_reminder_language: str = "en"

    @field_validator("whatsapp_api_base_url")
    @classmethod
    def _whatsapp_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def whatsapp_enabled(self) -> bool:
        """Whether WhatsApp is on: access token, number id, app secret and verify token set."""
        secrets = (self.whatsapp_access_token, self.whatsapp_app_secret, self.whatsapp_verify_token)
        if any(value is None or is_placeholder(value.get_secret_value()) for value in secrets):
            return False
        return bool(self.whatsapp_phone_number_id) and not is_placeholder(
            self.whatsapp_phone_number_id or ""
        )

    # --- Buy-Now-Pay-Later: installment plans offered in the chat, collected by STK push
    bnpl_enabled: bool = True
    bnpl_min_order: int = Field(default=500, ge=1)
    bnpl_max_outstanding: int = Field(default=20_000, ge=1)
    bnpl_require_paid_history: bool = True
    bnpl_deposit_percent: int = Field(default=25, ge=1, le=90)
    bnpl_installment_options: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [2, 3, 4]
    )
    bnpl_interval_days: int = Field(default=7, ge=1, le=31)
    # Nairobi hour of reminders and pushes: daytime only, so no prompt wakes anyone.
    bnpl_collection_hour: int = Field(default=10, ge=6, le=21)
    bnpl_late_fee: int = Field(default=0, ge=0, le=10_000)
    bnpl_grace_days: int = Field(default=3, ge=0, le=30)

    @field_validator("bnpl_installment_options", mode="before")
    @classmethod
    def _installment_list(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("bnpl_installment_options")
    @classmethod
    def _installment_counts(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= count <= 12 for count in value):
            raise ValueError("give one or more numbers of installments from 1 to 12, e.g. 2,3,4")
        return sorted(set(value))

    # --- the business's platform: orders API and signed event webhooks
    api_token: SecretStr | None = None
    event_webhook_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    event_webhook_secret: SecretStr | None = None

    # --- refunds: asked by one staff user, approved by another, sent by Reversal or B2C
    refund_max_age_days: int = Field(default=30, ge=1, le=365)
    refund_daily_limit: int = Field(default=50_000, ge=1, le=10_000_000)
    refund_approvers: Annotated[list[int], NoDecode] = Field(default_factory=list)
    refund_owner_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    mpesa_b2c_shortcode: str | None = None
    mpesa_b2c_initiator_name: str | None = None
    mpesa_b2c_security_credential: SecretStr | None = None

    @field_validator("refund_approvers", "refund_owner_ids", mode="before")
    @classmethod
    def _refund_id_lists(cls, value: object) -> object:
        return _split_list(value)

    # --- the web checkout: the payment link page, live status and PDF receipts
    web_checkout_enabled: bool = True
    web_rate_limit_per_minute: int = Field(default=60, ge=1)
    # Signs the pages' form tokens; unset: derived from MPESA_CALLBACK_SECRET.
    web_secret: SecretStr | None = None
    # How pages read their order on SQLite: "inline", in the event loop's thread through
    # SQLAlchemy's sqlite3 engine (read-only; storage/inline_reads.py), or "pool", through
    # the units of work as on PostgreSQL (which always reads through them).
    web_page_reads: Literal["inline", "pool"] = "inline"

    @field_validator("event_webhook_urls", mode="before")
    @classmethod
    def _event_url_list(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("event_webhook_urls")
    @classmethod
    def _event_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError("every URL must start with http:// or https://")
        return value

    @field_validator("api_token", "event_webhook_secret", "web_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value() if value is not None else ""
        if not is_placeholder(text) and len(text) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _events_are_signed(self) -> Settings:
        secret = self.event_webhook_secret
        if self.event_webhook_urls and (
            secret is None or is_placeholder(secret.get_secret_value())
        ):
            raise ValueError(
                "EVENT_WEBHOOK_SECRET is required when EVENT_WEBHOOK_URLS is set "
                "(receivers verify each event's signature with it)"
            )
        return self

    @property
    def api_token_value(self) -> str | None:
        """The orders API's bearer token, or None (the API is off) when unset or a placeholder."""
        if self.api_token is None or is_placeholder(self.api_token.get_secret_value()):
            return None
        return self.api_token.get_secret_value()

    @field_validator("staff_user_ids", "mpesa_callback_allowed_ips", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("mpesa_callback_allowed_ips")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ip_network(item, strict=False)
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("public_base_url", "telegram_api_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if not value.endswith("/bot") else value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        # Every broken rule is reported at once (one line each), not one per run.
        problems = []
        if self.mpesa_environment is MpesaEnvironment.PRODUCTION and not (
            self.public_base_url.startswith("https://")
        ):
            problems.append(
                "PUBLIC_BASE_URL must be https:// when MPESA_ENVIRONMENT=production "
                "(Safaricom only calls back to https URLs)"
            )
        if self.payment_expiry_seconds <= self.reconcile_after_seconds:
            problems.append("PAYMENT_EXPIRY_SECONDS must be longer than RECONCILE_AFTER_SECONDS")
        if self.mpesa_transaction_type is TransactionType.TILL and not self.mpesa_party_b:
            problems.append(
                "MPESA_PARTY_B (the till number) is required when "
                "MPESA_TRANSACTION_TYPE=CustomerBuyGoodsOnline"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def mpesa_base_url(self) -> str | None:
        """Daraja's base URL: the override, else the environment's (None for the simulator)."""
        if self.mpesa_api_base_url:
            return self.mpesa_api_base_url.rstrip("/")
        return MPESA_BASE_URLS.get(self.mpesa_environment)

    @property
    def confirm_with_query(self) -> bool:
        """Whether success callbacks are confirmed by a query (default: in production only)."""
        if self.mpesa_confirm_with_query is None:
            return self.mpesa_environment is MpesaEnvironment.PRODUCTION
        return self.mpesa_confirm_with_query

    @property
    def callback_networks(self) -> list[IPv4Network | IPv6Network]:
        """The allowlist of callback source networks (empty: any source)."""
        return [ip_network(item, strict=False) for item in self.mpesa_callback_allowed_ips]


class MissingSetting(Exception):
    """A command needs a setting that is unset or still a placeholder."""

    def __init__(self, variable: str, purpose: str) -> None:
        super().__init__(f"{variable} is not set (or is a placeholder): it is {purpose}.")
        self.variable = variable
        self.purpose = purpose


def is_placeholder(value: str) -> bool:
    """Whether a value is empty or still one of `.env.example`'s placeholders."""
    lowered = value.strip().lower()
    return not lowered or lowered.startswith(PLACEHOLDER_PREFIXES)


def serve_problems(settings: Settings) -> list[str]:
    """Every setting ``lipa serve`` needs that is missing, one sentence each (empty: none).

    ``MPESA_ENVIRONMENT`` must be given explicitly: forgetting it must not quietly settle
    real customers' payments against the simulator.
    """
    problems = []
    if "mpesa_environment" not in settings.model_fields_set:
        problems.append(
            "MPESA_ENVIRONMENT is not set: say which Daraja settles payments "
            "(production, sandbox, or simulator: no money moves)."
        )
    # lipa.channels reads these settings, so it is imported here rather than at the top.
    from lipa.channels import NoCustomerChannel, channels_on

    channels = channels_on(settings)
    if not channels.any_customer_channel:
        problems.append(str(NoCustomerChannel()))
    needed = []
    if channels.telegram and settings.telegram_mode is TelegramMode.WEBHOOK:
        needed.append(
            ("telegram_webhook_secret", "the secret Telegram sends with each webhook update")
        )
    if settings.mpesa_environment is not MpesaEnvironment.SIMULATOR:
        needed += [
            ("mpesa_consumer_key", "the Daraja app's consumer key"),
            ("mpesa_consumer_secret", "the Daraja app's consumer secret"),
            ("mpesa_passkey", "the Lipa na M-Pesa Online passkey"),
            (
                "mpesa_callback_secret",
                "the secret part of the M-Pesa callback URL that only Safaricom is given",
            ),
        ]
    if settings.sms_enabled:
        needed.append(("at_username", "the Africa's Talking username for SMS"))
    for field, purpose in needed:
        try:
            require(settings, field, purpose)
        except MissingSetting as missing:
            problems.append(str(missing))
    problems += refused_url_words(settings)
    return problems


def refused_url_words(settings: Settings) -> list[str]:
    """PUBLIC_BASE_URL or MPESA_CALLBACK_SECRET containing a word Daraja refuses in URLs.

    Every URL Lipa gives Safaricom starts with the one and carries the other: Daraja neither
    registers nor calls a URL containing M-Pesa, Safaricom, exe, exec, cmd, sql or query.
    """
    problems = []
    words = refused_words(settings.public_base_url)
    if words:
        problems.append(
            f"PUBLIC_BASE_URL contains {', '.join(repr(word) for word in words)}: Daraja "
            "refuses URLs containing it; serve Lipa on another host name or path."
        )
    secret = settings.mpesa_callback_secret
    words = refused_words(secret.get_secret_value()) if secret is not None else []
    if words:
        problems.append(
            f"MPESA_CALLBACK_SECRET contains {', '.join(repr(word) for word in words)}: "
            "Daraja refuses URLs containing it; make a new secret without it."
        )
    return problems


def require(settings: Settings, field: str, purpose: str) -> str:
    """Return a setting's value, or raise :class:`MissingSetting` naming its variable."""
    value = getattr(settings, field)
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text is None or (isinstance(text, str) and is_placeholder(text)):
        raise MissingSetting(field.upper(), purpose)
    return str(text)
