"""Credentials and business settings of a Daraja app, held so that repr() hides the secrets."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SANDBOX_BASE_URL = "https://sandbox.safaricom.co.ke"
PRODUCTION_BASE_URL = "https://api.safaricom.co.ke"


class Secret:
    """A secret string whose repr() and str() never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """Return the secret itself; call this only where the value is sent, never to log it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class TransactionType(StrEnum):
    """How the business receives money: a paybill or a till (Buy Goods)."""

    PAYBILL = "CustomerPayBillOnline"
    TILL = "CustomerBuyGoodsOnline"


@dataclass(frozen=True, slots=True)
class DarajaConfig:
    """One Daraja app and the business it collects for.

    For a paybill ``business_shortcode`` is the paybill number and ``party_b`` is left out. For a
    till ``business_shortcode`` is the store number and ``party_b`` the till number.
    """

    consumer_key: str
    consumer_secret: Secret
    business_shortcode: str
    passkey: Secret
    transaction_type: TransactionType = TransactionType.PAYBILL
    party_b: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.consumer_secret, Secret) or not isinstance(self.passkey, Secret):
            raise TypeError("consumer_secret and passkey must be wrapped in Secret")
        if not self.consumer_key:
            raise ValueError("consumer_key is empty")
        if not self.business_shortcode.isdigit():
            raise ValueError("business_shortcode must be digits")
        if self.transaction_type is TransactionType.TILL:
            if self.party_b is None or not self.party_b.isdigit():
                raise ValueError("a till (CustomerBuyGoodsOnline) needs party_b, the till number")
        elif self.party_b not in (None, self.business_shortcode):
            raise ValueError("a paybill pays its own shortcode: leave party_b out")

    @property
    def receiving_party(self) -> str:
        """Return ``PartyB``: the paybill's shortcode, or the till number."""
        return self.party_b if self.party_b is not None else self.business_shortcode
