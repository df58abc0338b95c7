"""SQLAlchemy 2.0 models: the tables Lipa keeps, on SQLite and PostgreSQL alike, by area.

Money columns are whole shillings (``Integer``/``BigInteger``); every time column is stored in
UTC and read back timezone-aware (:class:`AwareDateTime`), because SQLite keeps no zone.
Importing this package registers every table on ``Base.metadata`` (what Alembic compares).
"""

from __future__ import annotations

from storage.models.base import NAMING, AwareDateTime, Base, JsonType
from storage.models.channels import ReceiptTokenRow, WhatsAppInboundRow, WhatsAppOutboundRow
from storage.models.chats import (
    ConversationRow,
    OutboxRow,
    PushAskRow,
    PushRequestRow,
    UssdSessionRow,
)
from storage.models.payments import (
    CallbackBodyRow,
    CustomerRow,
    MpesaTransactionRow,
    OrderRow,
    PaymentEventRow,
    PaymentRow,
)
from storage.models.plans import InstallmentRow, PlanPaymentRow, PlanRow
from storage.models.refunds import InitiatorRequestRow, RefundRow
from storage.models.ways_out import OrderDeclineRow, PaybillOfferRow

__all__ = [
    "NAMING",
    "AwareDateTime",
    "Base",
    "CallbackBodyRow",
    "ConversationRow",
    "CustomerRow",
    "InitiatorRequestRow",
    "InstallmentRow",
    "JsonType",
    "MpesaTransactionRow",
    "OrderDeclineRow",
    "OrderRow",
    "OutboxRow",
    "PaybillOfferRow",
    "PaymentEventRow",
    "PaymentRow",
    "PlanPaymentRow",
    "PlanRow",
    "PushAskRow",
    "PushRequestRow",
    "ReceiptTokenRow",
    "RefundRow",
    "UssdSessionRow",
    "WhatsAppInboundRow",
    "WhatsAppOutboundRow",
]
