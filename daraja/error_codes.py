"""Daraja's ``errorCode`` values that Lipa acts on (the ``errorMessage`` texts are not stable)."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A Daraja ``errorCode``; its first part is the HTTP status it comes with."""

    BAD_REQUEST = "400.002.02"  # "Bad Request - Invalid <field>"
    INVALID_ACCESS_TOKEN = "404.001.03"
    INVALID_AUTHENTICATION = "404.001.04"  # missing or malformed Authorization header
    # On a push: wrong credentials, or "unable to lock subscriber" (a transaction is already in
    # process for that phone). On a query: "the transaction is being processed".
    PROCESSING_OR_LOCKED = "500.001.1001"
    SYSTEM_BUSY = "500.003.02"  # spike arrest
    QUOTA_EXCEEDED = "500.003.03"
