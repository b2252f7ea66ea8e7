"""What a trading point needs besides the goods: product kinds and characteristics (sizes, colours), acquiring
terminals, discount cards and the stock on hand (issue 17; objects.md §4.11–4.14)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, ChangeTracked, Name, Quantity, infobase_fk, intpk, new_ref
from kassa_server.models.base import enum_column_type as _enum
from kassa_server.models.catalog import Counterparty, Organization, Product, Store
from kassa_server.models.enums import ProductKind

if TYPE_CHECKING:
    from kassa_server.models.documents import Receipt


class ItemKind(ChangeTracked, Base):
    """A product kind (``Справочник.ВидыНоменклатуры``), e.g. «Обувь»: its goods may have characteristics."""

    __tablename__ = "item_kinds"
    __table_args__ = (UniqueConstraint("infobase_id", "name"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    product_kind: Mapped[ProductKind] = mapped_column(_enum(ProductKind), default=ProductKind.GOODS)
    uses_characteristics: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)


class Characteristic(ChangeTracked, Base):
    """A variant of a product (``Справочник.ХарактеристикиНоменклатуры``), e.g. size 42. It belongs to one product
    or, when ``product_id`` is None, to every product of its kind (``ВладелецХарактеристики``)."""

    __tablename__ = "characteristics"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    full_name: Mapped[str] = mapped_column(Text, default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    item_kind_id: Mapped[int | None] = mapped_column(ForeignKey("item_kinds.id", ondelete="CASCADE"), index=True)
    deleted: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product | None] = relationship()
    item_kind: Mapped[ItemKind | None] = relationship()


class AcquiringTerminal(ChangeTracked, Base):
    """A card terminal of a trading point (``Справочник.ЭквайринговыеТерминалы``)."""

    __tablename__ = "acquiring_terminals"
    __table_args__ = (UniqueConstraint("infobase_id", "number"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    number: Mapped[str] = mapped_column(String(50))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    """None = the store's organization."""
    acquirer_id: Mapped[int | None] = mapped_column(ForeignKey("counterparties.id", ondelete="SET NULL"))
    """The acquiring bank (``Эквайер`` ≤ 1.10, ``Эквайрер`` from 1.16)."""
    contract_number: Mapped[str] = mapped_column(String(100), default="")
    """The contract with the acquirer (``ДоговорЭквайрера``, from 1.16; needs an acquirer)."""
    contract_date: Mapped[dt.date | None]
    deleted: Mapped[bool] = mapped_column(default=False)

    store: Mapped[Store] = relationship()
    organization: Mapped[Organization | None] = relationship()
    acquirer: Mapped[Counterparty | None] = relationship()


class DiscountCard(ChangeTracked, Base):
    """A discount card (``Справочник.ДисконтныеКарты``). The format carries the number, owner, kind (as the
    loyalty program's name), opening date and status (1.19+); barcode, magnetic code and percentage stay here."""

    __tablename__ = "discount_cards"
    __table_args__ = (UniqueConstraint("infobase_id", "number"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    number: Mapped[str] = mapped_column(String(100))
    barcode: Mapped[str] = mapped_column(String(200), default="")
    magnetic_code: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(150), default="")
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("counterparties.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    """None = valid in every organization of the infobase."""
    opened_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[Counterparty | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


class StockBalance(ChangeTracked, Base):
    """Stock on hand of a product (and characteristic) in a store; a change re-sends the store's snapshot
    (``Справочник.ИнформативныеОстатки``) to its devices."""

    __tablename__ = "stock_balances"
    __table_args__ = (Index("ix_stock_balances_store_product", "store_id", "product_id", "characteristic_id"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    characteristic_id: Mapped[int | None] = mapped_column(
        ForeignKey("characteristics.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[Quantity]

    store: Mapped[Store] = relationship()
    product: Mapped[Product] = relationship()
    characteristic: Mapped[Characteristic | None] = relationship()


class StockMovement(Base):
    """What a receipt did to a balance (sold: negative, returned: positive); undone when the receipt is re-sent."""

    __tablename__ = "stock_movements"

    id: Mapped[intpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    balance_id: Mapped[int] = mapped_column(ForeignKey("stock_balances.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[Quantity]

    receipt: Mapped[Receipt] = relationship(back_populates="stock_movements")
    balance: Mapped[StockBalance] = relationship()


__all__ = ["AcquiringTerminal", "Characteristic", "DiscountCard", "ItemKind", "StockBalance", "StockMovement"]
