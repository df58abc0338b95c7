"""Kenyan phone numbers: normalising them for Daraja and masking them for logs."""

from __future__ import annotations

import re

import phonenumbers

from daraja.errors import DarajaValidationError

KENYA_COUNTRY_CODE = 254
# What Daraja accepts in PartyA and PhoneNumber.
DARAJA_MSISDN = re.compile(r"254[17]\d{8}")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def normalise_phone(raw: str, field: str = "PhoneNumber") -> str:
    """Return ``raw`` as ``2547XXXXXXXX``/``2541XXXXXXXX`` or raise DarajaValidationError."""
    rule = "must be a valid Kenyan mobile number (07.., 01.., +2547.., 2541..)"
    if not isinstance(raw, str):
        raise DarajaValidationError(field, rule)
    try:
        number = phonenumbers.parse(raw, "KE")
    except phonenumbers.NumberParseException as exc:
        raise DarajaValidationError(field, rule) from exc
    if (
        number.country_code != KENYA_COUNTRY_CODE
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise DarajaValidationError(field, rule)
    msisdn = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    if not DARAJA_MSISDN.fullmatch(msisdn):
        raise DarajaValidationError(field, rule)
    return msisdn


def mask_phone(phone: str) -> str:
    """Return ``phone`` with its middle hidden for logs: ``254712345678`` → ``2547****5678``.

    The same rule as the core's ``checkout.domain.phones.mask_phone`` (daraja imports nothing of
    Lipa's, so it keeps its own copy; a test holds the two equal): every character but the first
    and last four becomes ``*``, and a value too short for that keeps only its last two.
    """
    if len(phone) < 10:
        # Too short to show both ends without giving most of it away.
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return phone[:4] + "*" * (len(phone) - 8) + phone[-4:]
