"""``lipa doctor``'s checks of the money that comes outside the STK push: C2B, the initiator,
Pull Transactions and B2C refunds, one finding each with its fix.

Daraja cannot be asked which C2B URLs are registered (registration is write-only, once in
production), so the URLs are checked as Lipa would register them: built from
``PUBLIC_BASE_URL`` and the secret, against Daraja's URL rules. The initiator's credential is
made as Lipa makes it, so an unreadable or unusable certificate shows here, not at the first
"I already paid".
"""

from __future__ import annotations

import re

from checkout.domain.phones import PhoneError, normalise_phone
from daraja.config import TransactionType
from daraja.url_rules import callback_url_problems, refused_words
from lipa.doctor import SECRET_SHOWN_AS, Finding
from lipa.initiator import InitiatorUnset, credential
from lipa.settings import MpesaEnvironment, Settings, is_placeholder
from webhook.till import c2b_confirm_path, c2b_validate_path

# Safaricom's shortcodes (paybills, tills, store and B2C numbers) are 5 to 7 digits.
_SHORTCODE = re.compile(r"\d{5,7}")
_REGISTER = "run `lipa mpesa register-urls` (again after changing PUBLIC_BASE_URL or the secret)"


def till_findings(settings: Settings) -> list[Finding]:
    """The C2B, initiator, Pull and B2C checks, in the order an operator would fix them."""
    return [
        c2b_shortcode(settings),
        c2b_urls(settings),
        initiator(settings),
        pull(settings),
        b2c(settings),
    ]


def _text(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    text = str(getter() if callable(getter) else (value or "")).strip()
    return "" if is_placeholder(text) else text


def _simulated(settings: Settings) -> bool:
    return settings.mpesa_environment is MpesaEnvironment.SIMULATOR


def c2b_shortcode(settings: Settings) -> Finding:
    """The shortcode the C2B URLs are registered for and payments are checked against."""
    name = "C2B shortcode"
    shortcode = _text(settings.mpesa_business_shortcode)
    if not _SHORTCODE.fullmatch(shortcode):
        return Finding(
            name,
            False,
            f"MPESA_BUSINESS_SHORTCODE is {shortcode or 'not set'!r}, not a 5 to 7 digit shortcode",
            "set it to the paybill number (for a till, the store number)",
        )
    if settings.mpesa_transaction_type is TransactionType.TILL:
        till = _text(settings.mpesa_party_b)
        if not _SHORTCODE.fullmatch(till):
            return Finding(
                name,
                False,
                f"a till needs its till number in MPESA_PARTY_B (it is {till or 'not set'!r})",
                "set MPESA_PARTY_B to the till number customers pay",
            )
        return Finding(name, True, f"store {shortcode}, till {till}")
    return Finding(name, True, f"paybill {shortcode}")


def c2b_urls(settings: Settings) -> Finding:
    """The confirmation and validation URLs as Lipa registers them, against Daraja's rules."""
    name = "C2B URLs"
    secret = _text(settings.mpesa_callback_secret)
    if not secret and not _simulated(settings):
        return Finding(name, False, "MPESA_CALLBACK_SECRET is not set", "set a long random value")
    base = settings.public_base_url.rstrip("/")
    shown = [base + path(SECRET_SHOWN_AS) for path in (c2b_confirm_path, c2b_validate_path)]
    problems = callback_url_problems(
        base + c2b_confirm_path(secret or "x"), require_public_https=not _simulated(settings)
    )
    words = refused_words(secret)
    if words:
        problems.append("MPESA_CALLBACK_SECRET contains " + ", ".join(map(repr, words)))
    if problems:
        return Finding(
            name,
            False,
            f"Daraja will not register {shown[0]}: " + "; ".join(problems),
            "serve PUBLIC_BASE_URL over https on a public name, keep M-Pesa, Safaricom, exe, "
            f"exec, cmd, sql and query out of it and of the secret, then {_REGISTER}",
        )
    return Finding(
        name,
        True,
        f"{shown[0]} and {shown[1]} follow Daraja's rules; Daraja cannot be asked what is "
        f"registered: {_REGISTER}",
    )


def initiator(settings: Settings) -> Finding:
    """The initiator of Transaction Status, Reversal and B2C: its name and credential."""
    name = "Initiator"
    who = _text(settings.mpesa_initiator_name)
    given = _text(settings.mpesa_security_credential)
    password = _text(settings.mpesa_initiator_password)
    path = _text(settings.mpesa_certificate_path)
    if not (who or given or password or path):
        if _simulated(settings):
            return Finding(name, True, "the simulator's test initiator")
        return Finding(
            name,
            True,
            'not configured: "I already paid", /verify and refunds are off (set '
            "MPESA_INITIATOR_NAME and MPESA_SECURITY_CREDENTIAL to turn them on)",
        )
    fix = (
        "set MPESA_INITIATOR_NAME (the API operator's name on the M-Pesa org portal) and "
        "either MPESA_SECURITY_CREDENTIAL (generated on the Daraja portal) or "
        "MPESA_INITIATOR_PASSWORD with MPESA_CERTIFICATE_PATH (Safaricom's certificate for "
        "this environment)"
    )
    if not who:
        return Finding(name, False, "MPESA_INITIATOR_NAME is not set", fix)
    try:
        credential(settings)
    except InitiatorUnset:
        return Finding(name, False, f"{who} has no security credential", fix)
    except ValueError as error:
        return Finding(name, False, str(error), fix)
    how = "MPESA_SECURITY_CREDENTIAL" if given else f"made with the certificate {path}"
    return Finding(name, True, f"{who}, credential {how}")


def pull(settings: Settings) -> Finding:
    """Pull Transactions (the statement check): the nominated number it is registered with."""
    name = "Statement check (Pull)"
    if not settings.mpesa_pull_enabled:
        return Finding(name, True, "off (MPESA_PULL_ENABLED=false)")
    number = _text(settings.mpesa_pull_nominated_number)
    try:
        normalise_phone(number)
    except PhoneError:
        return Finding(
            name,
            False,
            f"MPESA_PULL_NOMINATED_NUMBER is {number or 'not set'!r}, not a Kenyan mobile number",
            "set the number Safaricom registers for the shortcode's statement, then run "
            "`lipa mpesa register-pull` once",
        )
    return Finding(
        name, True, f"every {settings.mpesa_pull_interval_seconds:.0f} s, nominated {number}"
    )


def b2c(settings: Settings) -> Finding:
    """B2C for part refunds (and whole ones Daraja refuses to reverse)."""
    name = "B2C refunds"
    shortcode = _text(settings.mpesa_b2c_shortcode)
    if not shortcode:
        return Finding(
            name, True, "not configured: whole refunds go by Reversal, part refunds are refused"
        )
    if not _SHORTCODE.fullmatch(shortcode):
        return Finding(
            name,
            False,
            f"MPESA_B2C_SHORTCODE is {shortcode!r}, not a 5 to 7 digit shortcode",
            "set it to the B2C (disbursement) shortcode that holds the refunds' float",
        )
    own = _text(settings.mpesa_b2c_initiator_name)
    if own and not _text(settings.mpesa_b2c_security_credential):
        return Finding(
            name,
            False,
            f"MPESA_B2C_INITIATOR_NAME {own} has no MPESA_B2C_SECURITY_CREDENTIAL",
            "set the B2C initiator's credential (Daraja portal), or leave both empty to use "
            "the shortcode's initiator",
        )
    if not own and not _text(settings.mpesa_initiator_name) and not _simulated(settings):
        return Finding(
            name,
            False,
            f"B2C shortcode {shortcode} has no initiator",
            "set MPESA_B2C_INITIATOR_NAME and MPESA_B2C_SECURITY_CREDENTIAL (or the shortcode's "
            "MPESA_INITIATOR_NAME and credential)",
        )
    return Finding(name, True, f"shortcode {shortcode}, initiator {own or 'of the shortcode'}")
