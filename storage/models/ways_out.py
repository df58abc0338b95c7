"""After a failed try: the paybill offers made, and orders a customer said were not theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AwareDateTime, Base


class PaybillOfferRow(Base):
    """A failed try whose message told the customer to pay by paybill (or till) instead."""

    __tablename__ = "paybill_offers"
    __table_args__ = (Index("ix_paybill_offers_order_id_offered_at", "order_id", "offered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    offered_at: Mapped[datetime] = mapped_column(AwareDateTime())


class OrderDeclineRow(Base):
    """A customer said "Not mine" of an order the business created for their number."""

    __tablename__ = "order_declines"
    __table_args__ = (UniqueConstraint("order_id", "channel", "chat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(64))
    declined_at: Mapped[datetime] = mapped_column(AwareDateTime())
