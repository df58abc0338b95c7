"""The rules and timings the services are given, read from the settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network

from checkout.bnpl.rules import PlanRules
from checkout.payments.limits import PushLimits
from checkout.payments.reconcile import ReconcilePolicy
from lipa.settings import Settings
from webhook.mpesa import SourceCheck, callback_path


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    """Reconciliation timings scaled from RECONCILE_AFTER_SECONDS (60 s: asks at 60, 75, 105 s…)."""
    after = settings.reconcile_after_seconds
    return ReconcilePolicy(
        after=timedelta(seconds=after),
        expiry=timedelta(seconds=settings.payment_expiry_seconds),
        first_backoff=timedelta(seconds=after / 4),
        max_backoff=timedelta(seconds=after * 2),
        interval_seconds=min(10.0, after / 2),
    )


def push_limits(settings: Settings) -> PushLimits:
    """The limits on pushes people ask for, from the ``PUSH_LIMIT_*``/``PUSH_PAUSE_*`` settings."""
    return PushLimits(
        per_phone=settings.push_limit_per_phone,
        phone_window=timedelta(seconds=settings.push_limit_phone_window_seconds),
        per_sender=settings.push_limit_per_sender,
        sender_window=timedelta(seconds=settings.push_limit_sender_window_seconds),
        cancels_in_a_row=settings.push_pause_after_cancels,
        pause=timedelta(seconds=settings.push_pause_seconds),
    )


def plan_rules(settings: Settings) -> PlanRules:
    """The Buy-Now-Pay-Later rules from the ``BNPL_*`` settings."""
    return PlanRules(
        deposit_percent=settings.bnpl_deposit_percent,
        options=tuple(settings.bnpl_installment_options),
        interval_days=settings.bnpl_interval_days,
        collection_hour=settings.bnpl_collection_hour,
        min_order=settings.bnpl_min_order,
        max_outstanding=settings.bnpl_max_outstanding,
        require_paid_history=settings.bnpl_require_paid_history,
        late_fee=settings.bnpl_late_fee,
        grace_days=settings.bnpl_grace_days,
    )


def push_lease_seconds(settings: Settings) -> float:
    """How long a push is claimed for: longer than the longest push with the client's retries."""
    return max(180.0, settings.mpesa_timeout_seconds * 4 + 30)


def source_check(
    settings: Settings, networks: Sequence[IPv4Network | IPv6Network] | None = None
) -> SourceCheck:
    """Who may call a route (the callback allowlist by default), read through the one proxy
    header the settings trust."""
    return SourceCheck(
        networks=tuple(settings.callback_networks if networks is None else networks),
        trusted_header=settings.mpesa_callback_trusted_header or None,
    )


def callback_url(settings: Settings, secret: str) -> str:
    """The URL Safaricom calls back, built from PUBLIC_BASE_URL and the secret."""
    return settings.public_base_url.rstrip("/") + callback_path(secret)


def business_shortcodes(settings: Settings) -> frozenset[str]:
    """The numbers the business's money is paid to: the shortcode and, for a till, its number."""
    return frozenset(
        code for code in (settings.mpesa_business_shortcode, settings.mpesa_party_b) if code
    )
