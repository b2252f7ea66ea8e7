"""Stock on hand per store, product and characteristic, and its CSV import/export.

The devices of a store get it as the informative snapshot ``Справочник.ИнформативныеОстатки`` (objects.md §4.13),
re-sent whenever a balance of the store changes: set here, or moved by the receipts the devices send (the receipt
import decreases what was sold and increases what was returned, in the same transaction).
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TextIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from kassa_server.admin.catalog import Catalog
from kassa_server.admin.organizations import get_store
from kassa_server.admin.paging import ListPage, contains_text, paged
from kassa_server.admin.table_csv import read_rows
from kassa_server.admin.variants import get_characteristic
from kassa_server.errors import CatalogImportError, NotFoundError, ValidationError
from kassa_server.models import Characteristic, Infobase, Product, StockBalance, Store

COLUMNS = [
    "ref",  # the product's Ссылка; else it is found by code, then by article
    "code",
    "article",
    "name",  # written by the export for reading; ignored by the import
    "characteristic",  # the characteristic's name, empty for the product itself
    "quantity",
]
REQUIRED = {"quantity"}
QUANTITY_LIMIT = Decimal("1e12")


@dataclass
class StockImportSummary:
    rows: int = 0
    changed: int = 0


def parse_quantity(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValidationError("quantity", f"{text!r} is not a number") from None
    if not value.is_finite() or abs(value) >= QUANTITY_LIMIT:
        raise ValidationError("quantity", f"{text!r} is out of range")
    if value != value.quantize(Decimal("0.001")):
        raise ValidationError("quantity", f"{text!r}: at most 3 decimals")
    return value.quantize(Decimal("0.001"))


def set_stock(
    session: Session,
    infobase: Infobase,
    store: str | None,
    product_ref: uuid.UUID,
    quantity: Decimal,
    *,
    characteristic: str | None = None,
) -> StockBalance:
    """Set the quantity on hand of a product (or one of its characteristics) in a store (default: the first)."""
    target = get_store(session, infobase, store)
    product = Catalog(session, infobase).find(ref=product_ref)
    if product is None or product.deleted:
        raise NotFoundError(f"no product with ref {product_ref} in infobase {infobase.name!r}")
    variant = get_characteristic(session, infobase, product, characteristic) if characteristic else None
    balance = _balance(session, infobase, target, product, variant)
    value = parse_quantity(str(quantity))
    if balance.quantity != value:
        balance.quantity = value
    session.flush()
    return balance


def get_stock(
    session: Session, infobase: Infobase, store: str | None, product_ref: uuid.UUID, characteristic: str | None = None
) -> Decimal:
    """The quantity on hand (0 when none was ever recorded)."""
    target = get_store(session, infobase, store)
    product = Catalog(session, infobase).find(ref=product_ref)
    if product is None:
        raise NotFoundError(f"no product with ref {product_ref} in infobase {infobase.name!r}")
    variant = get_characteristic(session, infobase, product, characteristic) if characteristic else None
    found = _find(session, target, product, variant)
    return found.quantity if found is not None else Decimal("0.000")


def list_stock(session: Session, infobase: Infobase, store: str | None = None) -> list[StockBalance]:
    target = get_store(session, infobase, store)
    query = (
        select(StockBalance)
        .where(StockBalance.infobase_id == infobase.id, StockBalance.store_id == target.id)
        .options(selectinload(StockBalance.product), selectinload(StockBalance.characteristic))
        .order_by(StockBalance.product_id, StockBalance.characteristic_id, StockBalance.id)
    )
    return list(session.scalars(query))


def search_stock(
    session: Session, infobase: Infobase, store: str | None, text: str = "", *, page: int = 1, page_size: int = 50
) -> ListPage:
    """A page of a store's balances, by product name, whose product's name, code or article contains ``text``."""
    target = get_store(session, infobase, store)
    query = (
        select(StockBalance)
        .join(Product, StockBalance.product_id == Product.id)
        .where(StockBalance.infobase_id == infobase.id, StockBalance.store_id == target.id)
        .options(selectinload(StockBalance.product), selectinload(StockBalance.characteristic))
    )
    if text.strip():
        query = query.where(
            or_(
                *(
                    contains_text(session, column, text.strip())
                    for column in (Product.name, Product.code, Product.article)
                )
            )
        )
    return paged(
        session, query.order_by(Product.name, StockBalance.characteristic_id, StockBalance.id), page, page_size
    )


def export_stock(session: Session, infobase: Infobase, store: str | None, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = list_stock(session, infobase, store)
    for balance in rows:
        product = balance.product
        writer.writerow(
            [
                str(product.ref),
                product.code,
                product.article,
                product.name,
                balance.characteristic.name if balance.characteristic else "",
                f"{balance.quantity:f}",
            ]
        )
    return len(rows)


def import_stock(session: Session, infobase: Infobase, store: str | None, source: TextIO) -> StockImportSummary:
    """Set quantities from CSV; products not in the file keep theirs. All or nothing (``CatalogImportError``)."""
    target = get_store(session, infobase, store)
    catalog = Catalog(session, infobase)
    summary = StockImportSummary()
    seen: dict[tuple[int, str], int] = {}
    for line, row in read_rows(source, COLUMNS, REQUIRED):
        try:
            product = _product(catalog, row)
            key = (product.id, row.get("characteristic", ""))
            if key in seen:
                raise ValidationError("ref", f"the same product and characteristic are on line {seen[key]}")
            seen[key] = line
            name = row.get("characteristic", "")
            variant = get_characteristic(session, infobase, product, name) if name else None
            quantity = parse_quantity(row.get("quantity", ""))
            balance = _balance(session, infobase, target, product, variant)
        except ValidationError as exc:
            raise CatalogImportError(line, f"{exc.field}: {exc.reason}") from exc
        except NotFoundError as exc:
            raise CatalogImportError(line, str(exc)) from exc
        summary.rows += 1
        if balance.quantity != quantity:
            balance.quantity = quantity
            summary.changed += 1
    session.flush()
    return summary


def _product(catalog: Catalog, row: dict[str, str]) -> Product:
    ref_text, code, article = row.get("ref", ""), row.get("code", ""), row.get("article", "")
    ref = None
    if ref_text:
        try:
            ref = uuid.UUID(ref_text)
        except ValueError:
            raise ValidationError("ref", f"{ref_text!r} is not a UUID") from None
    if ref is None and not code and not article:
        raise ValidationError("ref", "name the product by ref, code or article")
    product = catalog.find(ref=ref, code=code or None, article=article or None)
    if product is None or product.deleted:
        raise NotFoundError(f"no product {ref_text or code or article!r}")
    return product


def _find(session: Session, store: Store, product: Product, variant: Characteristic | None) -> StockBalance | None:
    return session.scalar(
        select(StockBalance).where(
            StockBalance.store_id == store.id,
            StockBalance.product_id == product.id,
            StockBalance.characteristic_id == variant.id
            if variant is not None
            else StockBalance.characteristic_id.is_(None),
        )
    )


def _balance(
    session: Session, infobase: Infobase, store: Store, product: Product, variant: Characteristic | None
) -> StockBalance:
    found = _find(session, store, product, variant)
    if found is None:
        found = StockBalance(
            infobase_id=infobase.id, store=store, product=product, characteristic=variant, quantity=Decimal("0.000")
        )
        session.add(found)
        session.flush()
    return found
