"""The command menus Telegram shows next to the text box, in English and Swahili.

Customers see their commands everywhere; staff, in their private chats and the staff group,
see the staff commands. Each entry is a command (without the slash) and what it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.records import Language

MenuEntry = tuple[str, str]

CUSTOMER_COMMANDS: Final[Mapping[Language, tuple[MenuEntry, ...]]] = {
    "en": (
        ("pay", "Pay an order"),
        ("status", "The payment in progress"),
        ("history", "My payments"),
        ("plans", "My pay-later plans"),
        ("orders", "My open orders"),
        ("cancel", "Stop what we are doing"),
        ("language", "Choose a language (Chagua lugha)"),
        ("help", "Help"),
    ),
    "sw": (
        ("pay", "Lipa oda"),
        ("status", "Malipo yanayoendelea"),
        ("history", "Malipo yangu"),
        ("plans", "Mipango yangu ya kulipa baadaye"),
        ("orders", "Oda zangu zilizo wazi"),
        ("cancel", "Acha tunachofanya"),
        ("lugha", "Chagua lugha (Choose a language)"),
        ("help", "Msaada"),
    ),
}

STAFF_COMMANDS: Final[Mapping[Language, tuple[MenuEntry, ...]]] = {
    "en": (
        ("neworder", "New order: /neworder 1500 0712345678 Duvet wash"),
        ("today", "Today's payments and takings"),
        ("pending", "Payments waiting and orders paid in part"),
        ("find", "Find payments by receipt, order or phone"),
        ("report", "Takings per day as a chart: week or month"),
        ("export", "Payments as a CSV file"),
        ("verify", "What M-Pesa says of a code: /verify QK12ABC3DE"),
        ("unmatched", "M-Pesa payments nobody matched: credit or not ours"),
        ("refund", "Give money back (another staff user approves): /refund NLJ7RT61SV 500"),
        ("language", "My language for staff answers and notices: /language sw"),
        ("help", "The staff commands"),
    ),
    "sw": (
        ("neworder", "Oda mpya: /neworder 1500 0712345678 Kufua duvet"),
        ("today", "Malipo na mapato ya leo"),
        ("pending", "Malipo yanayosubiri na oda zilizolipwa kiasi"),
        ("find", "Tafuta malipo kwa risiti, oda au simu"),
        ("report", "Mapato kwa siku kama chati: week au month"),
        ("export", "Malipo kama faili la CSV"),
        ("verify", "M-Pesa inasema nini kuhusu msimbo: /verify QK12ABC3DE"),
        ("unmatched", "Malipo ya M-Pesa yasiyolingana: weka kwa oda au si wetu"),
        ("refund", "Rudisha pesa (mfanyakazi mwingine anaidhinisha): /refund NLJ7RT61SV 500"),
        ("lugha", "Lugha yangu ya majibu na taarifa za wafanyakazi: /lugha en"),
        ("help", "Amri za wafanyakazi"),
    ),
}
