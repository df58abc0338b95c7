"""How texts that send the customer to the business say to reach it (``BUSINESS_CONTACT``).

The catalogue says "contact us" ("wasiliana nasi"), exactly so written (a test holds every text
to the phrase); a :class:`BusinessContact` built from the settings adds the number after it.
The presenters that write such texts are given one when they are built: no process-wide
state, so two services with two contacts can run side by side (as tests do).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from checkout.domain.records import Language
from checkout.i18n.texts import t

CONTACT_US: Final[Mapping[Language, str]] = {"en": "contact us", "sw": "wasiliana nasi"}
CONTACT_US_ON: Final[Mapping[Language, str]] = {
    "en": "contact us on {contact}",
    "sw": "wasiliana nasi kwa {contact}",
}


@dataclass(frozen=True, slots=True)
class BusinessContact:
    """How texts that send the customer to the business say to reach it (BUSINESS_CONTACT).

    Built once from the settings (:meth:`of`) and given to the presenters that write such
    texts when they are constructed: a payment M-Pesa never confirmed, an overdue
    installment, "I already paid". ``number`` None: "contact us" alone.
    """

    number: str | None = None

    @classmethod
    def of(cls, setting: str | None) -> BusinessContact:
        """The contact a setting gives: its number trimmed, or none when it is blank."""
        return cls(setting.strip() if setting and setting.strip() else None)

    def contact_us(self, language: Language) -> str:
        """ "contact us on 0712 345 678" (or "contact us" without a number)."""
        if self.number is None:
            return CONTACT_US[language]
        return CONTACT_US_ON[language].format(contact=self.number)

    def said(self, language: Language, text: str) -> str:
        """``text`` with every "contact us" of it saying how (a test holds each text of the
        catalogue to the phrase)."""
        if self.number is None:
            return text
        return text.replace(CONTACT_US[language], self.contact_us(language))

    def t(self, language: Language, key: str, **params: object) -> str:
        """:func:`checkout.i18n.texts.t`, its "contact us" saying how."""
        return self.said(language, t(language, key, **params))


# No number: "contact us" alone (the default of services built without the setting).
NO_CONTACT: Final = BusinessContact()
