"""The goods catalogue of an infobase: organizations, stores, units, groups, products, barcodes, price types, prices,
counterparties."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, ChangeTracked, Money, Name, infobase_fk, intpk, new_ref
from kassa_server.models.base import enum_column_type as _enum
from kassa_server.models.enums import LegalForm, ProductKind, TaxSystem, VatRate

if TYPE_CHECKING:
    from kassa_server.models.retail import Characteristic, ItemKind


class Organization(ChangeTracked, Base):
    __tablename__ = "organizations"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    full_name: Mapped[str] = mapped_column(Text, default="")
    inn: Mapped[str] = mapped_column(String(12), default="")
    kpp: Mapped[str] = mapped_column(String(9), default="")
    legal_form: Mapped[LegalForm] = mapped_column(_enum(LegalForm), default=LegalForm.LEGAL_ENTITY)
    tax_system: Mapped[TaxSystem] = mapped_column(_enum(TaxSystem), default=TaxSystem.GENERAL)
    deleted: Mapped[bool] = mapped_column(default=False)


class Store(ChangeTracked, Base):
    """A trading point; travels as ``Справочник.Склады`` (objects.md §4.2)."""

    __tablename__ = "stores"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    address: Mapped[str] = mapped_column(default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    deleted: Mapped[bool] = mapped_column(default=False)

    organization: Mapped[Organization | None] = relationship()


class Unit(ChangeTracked, Base):
    """A unit of measure: ОКЕИ code and short name (objects.md §4.4)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("infobase_id", "code"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))
    full_name: Mapped[str] = mapped_column(String(150), default="")
    deleted: Mapped[bool] = mapped_column(default=False)


class ProductGroup(ChangeTracked, Base):
    """A goods folder (``НоменклатураГруппа``): a tree."""

    __tablename__ = "product_groups"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    code: Mapped[str] = mapped_column(String(50), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id", ondelete="SET NULL"))
    deleted: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[ProductGroup | None] = relationship(remote_side="ProductGroup.id")


class Product(ChangeTracked, Base):
    __tablename__ = "products"
    __table_args__ = (
        # the back office lists goods by name a page at a time, and finds one by its exact code or article
        Index("ix_products_infobase_name", "infobase_id", "name", "id"),
        Index("ix_products_infobase_code", "infobase_id", "code"),
        Index("ix_products_infobase_article", "infobase_id", "article"),
    )

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    full_name: Mapped[str] = mapped_column(Text, default="")
    article: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ProductKind] = mapped_column(_enum(ProductKind), default=ProductKind.GOODS)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    vat_rate: Mapped[VatRate] = mapped_column(_enum(VatRate), default=VatRate.VAT20)
    weighed: Mapped[bool] = mapped_column(default=False)
    marked: Mapped[bool] = mapped_column(default=False)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id", ondelete="SET NULL"), index=True)
    item_kind_id: Mapped[int | None] = mapped_column(ForeignKey("item_kinds.id", ondelete="SET NULL"))
    """``ВидНоменклатуры`` (models/retail.py)."""
    deleted: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit | None] = relationship()
    group: Mapped[ProductGroup | None] = relationship()
    item_kind: Mapped[ItemKind | None] = relationship()
    barcodes: Mapped[list[Barcode]] = relationship(back_populates="product", cascade="all, delete-orphan")
    prices: Mapped[list[Price]] = relationship(back_populates="product", cascade="all, delete-orphan")


class Barcode(ChangeTracked, Base):
    """One barcode of a product; on the wire it is identified by its value, not by a Ссылка (objects.md §4.7)."""

    __tablename__ = "barcodes"
    __table_args__ = (UniqueConstraint("infobase_id", "value"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(200))
    characteristic_id: Mapped[int | None] = mapped_column(ForeignKey("characteristics.id", ondelete="SET NULL"))
    """The barcode of one variant (``ДанныеНоменклатуры/Характеристика``)."""

    product: Mapped[Product] = relationship(back_populates="barcodes")
    characteristic: Mapped[Characteristic | None] = relationship()


class PriceType(ChangeTracked, Base):
    """A price type (1С:Касса's «вид цен», ``Справочник.ТипыЦен`` on the wire)."""

    __tablename__ = "price_types"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    currency_code: Mapped[str] = mapped_column(String(3), default="643")
    currency_name: Mapped[str] = mapped_column(String(10), default="руб.")
    includes_vat: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)


class Price(ChangeTracked, Base):
    """The current price of a product in a price type."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("product_id", "price_type_id"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    price_type_id: Mapped[int] = mapped_column(ForeignKey("price_types.id", ondelete="CASCADE"), index=True)
    value: Mapped[Money]
    since: Mapped[dt.datetime | None]

    product: Mapped[Product] = relationship(back_populates="prices")
    price_type: Mapped[PriceType] = relationship()


class Counterparty(ChangeTracked, Base):
    """A customer (``Справочник.Контрагенты``)."""

    __tablename__ = "counterparties"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    full_name: Mapped[str] = mapped_column(Text, default="")
    inn: Mapped[str] = mapped_column(String(12), default="")
    kpp: Mapped[str] = mapped_column(String(9), default="")
    legal_form: Mapped[LegalForm] = mapped_column(_enum(LegalForm), default=LegalForm.INDIVIDUAL)
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(150), default="")
    deleted: Mapped[bool] = mapped_column(default=False)


__all__ = ["Barcode", "Counterparty", "Organization", "Price", "PriceType", "Product", "ProductGroup", "Store", "Unit"]
