"""Customer orders; those with a ККТ and an agreed/assembled/in-transit status go to that device."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import (
    Base,
    ChangeTracked,
    DocumentNumber,
    Money,
    Quantity,
    enum_column_type,
    infobase_fk,
    intpk,
    new_ref,
)
from kassa_server.models.catalog import Counterparty, Organization, Product, Store
from kassa_server.models.enums import OrderStatus, VatRate
from kassa_server.models.registers import CashRegister


class CustomerOrder(ChangeTracked, Base):
    __tablename__ = "customer_orders"
    __table_args__ = (UniqueConstraint("infobase_id", "number"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    number: Mapped[DocumentNumber]
    date: Mapped[dt.datetime]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparties.id", ondelete="SET NULL"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"))
    status: Mapped[OrderStatus] = mapped_column(enum_column_type(OrderStatus), default=OrderStatus.NEW)
    status_changed_at: Mapped[dt.datetime | None]
    cash_register_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_registers.id", ondelete="SET NULL"), index=True
    )
    """«ККТ»: the register this order is assigned to (mobile-kassa.md §6)."""
    amount: Mapped[Money]
    comment: Mapped[str] = mapped_column(String(1024), default="")
    paid: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)

    organization: Mapped[Organization] = relationship()
    counterparty: Mapped[Counterparty | None] = relationship()
    store: Mapped[Store | None] = relationship()
    cash_register: Mapped[CashRegister | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )


class OrderLine(Base):
    __tablename__ = "customer_order_lines"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Quantity]
    price: Mapped[Money]
    amount: Mapped[Money]
    vat_rate: Mapped[VatRate] = mapped_column(enum_column_type(VatRate), default=VatRate.VAT20)
    vat_amount: Mapped[Money]
    characteristic_id: Mapped[int | None] = mapped_column(ForeignKey("characteristics.id", ondelete="SET NULL"))

    order: Mapped[CustomerOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
