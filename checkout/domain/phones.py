"""Kenyan mobile numbers: normalised for Daraja, masked for logs, spaced out for customers."""

from __future__ import annotations

import functools
import hashlib
import secrets
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

_KENYA_CODE = 254
# Numbering-plan types M-Pesa can push to; decided by the plan, never by a carrier guess
# (numbers are portable between networks).
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class PhoneReason(StrEnum):
    """Why a phone number was refused."""

    INVALID = "invalid"
    NOT_MOBILE = "not_mobile"
    NOT_KENYAN = "not_kenyan"


class PhoneError(ValueError):
    """A phone number M-Pesa cannot be asked to pay from."""

    def __init__(self, reason: PhoneReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


def normalise_phone(text: str) -> str:
    """``2547XXXXXXXX``/``2541XXXXXXXX`` from any common way of writing a Kenyan mobile number.

    Raises :class:`PhoneError` for an invalid, non-Kenyan or non-mobile number.
    """
    if not isinstance(text, str):
        raise PhoneError(PhoneReason.INVALID)
    return _normalised(text)


# A checkout reads the same number several times (typed, pushed to, shown in two replies),
# and phonenumbers' parse and checks are a fifth of a millisecond each time. The answer
# depends on the text alone; a refusal (an exception) is never kept, so it is worked out again.
@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    text = text.strip()
    # phonenumbers reads letters as keypad digits (1-800-FLOWERS); a customer typing letters
    # has made a mistake, so refuse rather than guess.
    if any(character.isalpha() for character in text):
        raise PhoneError(PhoneReason.INVALID)
    # "00" is the international prefix in most of the world; Kenya's own is "000", which
    # phonenumbers already understands.
    if text.startswith("00") and not text.startswith("000"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "KE")
    except NumberParseException:
        raise PhoneError(PhoneReason.INVALID) from None
    if number.country_code != _KENYA_CODE:
        raise PhoneError(PhoneReason.NOT_KENYAN)
    if number.extension or not phonenumbers.is_valid_number(number):
        raise PhoneError(PhoneReason.INVALID)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneError(PhoneReason.NOT_MOBILE)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164).removeprefix("+")


def mask_phone(phone: str) -> str:
    """A number fit for logs: ``254712345678`` → ``2547****5678``."""
    if len(phone) < 10:
        # Too short to show both ends without giving most of it away.
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return phone[:4] + "*" * (len(phone) - 8) + phone[-4:]


def display_phone(phone: str) -> str:
    """A number as Kenyans write it: ``254712345678`` → ``0712 345 678``; raises PhoneError."""
    national = normalise_phone(phone).removeprefix(str(_KENYA_CODE))
    return f"0{national[:3]} {national[3:6]} {national[6:]}"


def _digest(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()


def msisdn_phone(msisdn: str | None) -> str | None:
    """The normalised phone in M-Pesa's ``MSISDN`` when it gives the whole number, else None.

    Daraja often masks it (``2547****149``) or sends a SHA-256 hex digest of ``2547XXXXXXXX``:
    neither is a phone to text.
    """
    if not msisdn or "*" in msisdn or len(msisdn) == 64:
        return None
    try:
        return normalise_phone(msisdn)
    except PhoneError:
        return None


def msisdn_matches(msisdn: str | None, phone: str | None) -> bool:
    """Whether M-Pesa's ``msisdn`` (full, masked or hashed) may be the number ``phone``.

    A masked one matches when its visible digits agree and its length is the phone's, written
    ``2547…``, ``07…`` or the bare ``7…`` (each ``*`` one hidden digit; Daraja also writes
    ``2547 ***** 126`` with a run standing for several, so a run of stars and spaces matches
    any digits in between). A 64-character
    hex string is compared with the digest of the phone's ``2547XXXXXXXX`` form.
    """
    if not msisdn or not phone:
        return False
    text = msisdn.strip()
    if len(text) == 64 and all(character in "0123456789abcdefABCDEF" for character in text):
        return secrets.compare_digest(text.lower(), _digest(phone))
    if "*" not in text:
        full = msisdn_phone(text)
        return full is not None and full == phone
    compact = text.replace(" ", "")
    return any(_masked_matches(compact, form) for form in _written_forms(phone))


def _written_forms(phone: str) -> tuple[str, ...]:
    """``phone`` as M-Pesa may write it masked: ``2547…``, ``07…`` and the bare ``7…``.

    The Pull statement gives some numbers without their country code or leading 0
    (``712****678``); the visible digits are then compared with that form of the number.
    """
    national = phone.removeprefix(str(_KENYA_CODE))
    if national == phone:
        return (phone,)
    return (phone, "0" + national, national)


def _masked_matches(compact: str, phone: str) -> bool:
    if len(compact) == len(phone):
        return all(m == "*" or m == p for m, p in zip(compact, phone, strict=True))
    # A run of stars standing for several digits: the visible ends must agree.
    head, _, tail = compact.partition("*")
    tail = tail.lstrip("*")
    if "*" in tail:
        return False
    return len(head) + len(tail) < len(phone) and phone.startswith(head) and phone.endswith(tail)
