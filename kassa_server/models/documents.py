"""What devices send up: cash shifts, receipts (sales and returns), cash in/out, shift reports, and the raw objects
we do not interpret."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import (
    Base,
    DocumentNumber,
    Money,
    Quantity,
    enum_column_type,
    infobase_fk,
    intpk,
    timestamp_now,
)
from kassa_server.models.enums import CashOperationKind, PaymentKind, ReceiptKind, VatRate
from kassa_server.models.registers import CashRegister

if TYPE_CHECKING:
    from kassa_server.models.retail import StockMovement


class Shift(Base):
    """A cash shift: opened by ``ОткрытиеКассовойСмены``, closed by ``ЗакрытиеКассовойСмены``."""

    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("cash_register_id", "number"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    cash_register_id: Mapped[int] = mapped_column(ForeignKey("cash_registers.id"), index=True)
    number: Mapped[DocumentNumber]
    open_ref: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    close_ref: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    cashier: Mapped[str] = mapped_column(Text, default="")
    """``Кассир`` of the opening: ``КлючевыеСвойстваПользователь/Наименование`` is unbounded in the XSD."""
    closing_amount: Mapped[Money | None]

    cash_register: Mapped[CashRegister] = relationship()


class Receipt(Base):
    """A ``Документ.ЧекККМ``; idempotent by its Ссылка (objects.md §7)."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("infobase_id", "ref"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID]
    kind: Mapped[ReceiptKind] = mapped_column(enum_column_type(ReceiptKind))
    date: Mapped[dt.datetime]
    cash_register_id: Mapped[int] = mapped_column(ForeignKey("cash_registers.id"), index=True)
    shift_number: Mapped[DocumentNumber]
    number_in_app: Mapped[DocumentNumber] = mapped_column(default="")
    fiscal_number: Mapped[DocumentNumber] = mapped_column(default="")
    """``НомерЧекаККМ`` (1.17+) or ``НомерЧекаФР`` (up to 1.16)."""
    cashier: Mapped[str] = mapped_column(String(150), default="")
    amount: Mapped[Money]
    cash_amount: Mapped[Money]
    card_amount: Mapped[Money]
    cancelled: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_orders.id", ondelete="SET NULL"))
    base_receipt_ref: Mapped[uuid.UUID | None]
    """``Основание``: the sale a return refers to."""
    discount_card_ref: Mapped[uuid.UUID | None]
    """``КартаЛояльности`` (1.10+) as sent; ``discount_card_id`` when it is one of ours."""
    discount_card_number: Mapped[str] = mapped_column(String(100), default="")
    discount_card_id: Mapped[int | None] = mapped_column(ForeignKey("discount_cards.id", ondelete="SET NULL"))
    extra_attributes: Mapped[str] = mapped_column(Text, default="")
    """The receipt's ``ДополнительныеРеквизиты`` and ``AdditionalInfo`` exactly as the device sent them (XML)."""
    format_version: Mapped[str] = mapped_column(String(10), default="")
    received_at: Mapped[timestamp_now]

    cash_register: Mapped[CashRegister] = relationship()
    lines: Mapped[list[ReceiptLine]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="ReceiptLine.line_no"
    )
    payments: Mapped[list[ReceiptPayment]] = relationship(back_populates="receipt", cascade="all, delete-orphan")
    marking_codes: Mapped[list[MarkingCode]] = relationship(back_populates="receipt", cascade="all, delete-orphan")
    stock_movements: Mapped[list[StockMovement]] = relationship(back_populates="receipt", cascade="all, delete-orphan")


class ReceiptLine(Base):
    __tablename__ = "receipt_lines"

    id: Mapped[intpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    product_ref: Mapped[uuid.UUID | None]
    product_name: Mapped[str] = mapped_column(Text, default="")
    """The item's ``Наименование`` as the device sent it: unbounded in the XSD."""
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    quantity: Mapped[Quantity]
    price: Mapped[Money]
    amount: Mapped[Money]
    vat_rate: Mapped[VatRate | None] = mapped_column(enum_column_type(VatRate))
    vat_amount: Mapped[Money | None]
    is_service: Mapped[bool] = mapped_column(default=False)
    characteristic_ref: Mapped[uuid.UUID | None]
    """``ДанныеНоменклатуры/Характеристика`` as sent; ``characteristic_id`` when it is one of ours."""
    characteristic_name: Mapped[str] = mapped_column(Text, default="")
    characteristic_id: Mapped[int | None] = mapped_column(ForeignKey("characteristics.id", ondelete="SET NULL"))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")


class ReceiptPayment(Base):
    __tablename__ = "receipt_payments"

    id: Mapped[intpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(enum_column_type(PaymentKind))
    amount: Mapped[Money]
    rrn: Mapped[str] = mapped_column(String(12), default="")
    card_number: Mapped[str] = mapped_column(String(50), default="")
    terminal_ref: Mapped[uuid.UUID | None]
    """``ОплатаПлатежнымиКартами/ЭквайринговыйТерминал`` as sent; ``terminal_id`` when it is one of ours."""
    terminal_number: Mapped[str] = mapped_column(String(50), default="")
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("acquiring_terminals.id", ondelete="SET NULL"))

    receipt: Mapped[Receipt] = relationship(back_populates="payments")


class MarkingCode(Base):
    """A marking code (``АкцизныеМарки/Строка/НомерАкцизнойМарки``) of a receipt."""

    __tablename__ = "receipt_marking_codes"

    id: Mapped[intpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(Text)
    product_ref: Mapped[uuid.UUID | None]

    receipt: Mapped[Receipt] = relationship(back_populates="marking_codes")


class CashOperation(Base):
    """Cash put into (``ВнесениеДСВКассуККМ``) or taken out of (``ВыемкаДСИзКассыККМ``) a register."""

    __tablename__ = "cash_operations"
    __table_args__ = (UniqueConstraint("infobase_id", "ref"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID]
    kind: Mapped[CashOperationKind] = mapped_column(enum_column_type(CashOperationKind))
    date: Mapped[dt.datetime]
    cash_register_id: Mapped[int] = mapped_column(ForeignKey("cash_registers.id"), index=True)
    shift_number: Mapped[DocumentNumber]
    amount: Mapped[Money]
    cashier: Mapped[str] = mapped_column(String(150), default="")


class ShiftReport(Base):
    """``Документ.ОтчетОРозничныхПродажах``: kept to reconcile with the receipts of its shift."""

    __tablename__ = "shift_reports"
    __table_args__ = (UniqueConstraint("infobase_id", "ref"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID]
    number: Mapped[DocumentNumber]
    date: Mapped[dt.datetime]
    cash_register_id: Mapped[int | None] = mapped_column(ForeignKey("cash_registers.id"), index=True)
    amount: Mapped[Money | None]
    raw_xml: Mapped[str] = mapped_column(Text, default="")


class RawObject(Base):
    """An incoming object we keep but do not interpret (e.g. ``СписаниеЗапасов``), or a dropped receipt."""

    __tablename__ = "raw_objects"
    __table_args__ = (UniqueConstraint("infobase_id", "object_type", "ref"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    object_type: Mapped[str] = mapped_column(String(150))
    ref: Mapped[str] = mapped_column(String(100))
    """The object's Ссылка, or a digest of its XML when it has none."""
    node_code: Mapped[str] = mapped_column(String(100), default="")
    format_version: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(String(255), default="")
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[timestamp_now]
