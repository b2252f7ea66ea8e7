"""Import and export the goods catalogue as CSV (UTF-8, comma-separated, header row; columns in ``COLUMNS``).

An import is all or nothing: the first bad row raises ``CatalogImportError`` with its line number, and the caller's
transaction is rolled back, so nothing of that file lands.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kassa_server.errors import CatalogImportError
from kassa_server.models import Barcode, Infobase, Price, PriceType, Product, ProductGroup, Unit
from kassa_server.models.enums import ProductKind, VatRate

COLUMNS = [
    "ref",  # the product's Ссылка (UUID); empty for a new product
    "code",
    "article",
    "name",
    "full_name",
    "group",  # folder path, levels separated by " / "
    "kind",  # goods | service
    "unit_code",  # ОКЕИ code, e.g. 796
    "unit_name",  # e.g. шт
    "vat_rate",  # none, 0, 5, 7, 10, 18, 20, 22, 10/110, 18/118, 20/120
    "weighed",  # 1/0, true/false, да/нет
    "marked",
    "barcodes",  # separated by spaces or ';'
    "price",  # decimal, '.' or ',' as separator
]
REQUIRED = {"name"}
GROUP_SEPARATOR = " / "

_TRUE = {"1", "true", "yes", "y", "да", "д", "+"}
_FALSE = {"0", "false", "no", "n", "нет", "н", "-", ""}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0


def export_goods(session: Session, infobase: Infobase, out: TextIO, price_type: PriceType | None = None) -> int:
    price_type = price_type or default_price_type(session, infobase)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    products = session.scalars(
        select(Product)
        .where(Product.infobase_id == infobase.id, Product.deleted.is_(False))
        .options(selectinload(Product.barcodes), selectinload(Product.prices), selectinload(Product.unit))
        .order_by(Product.id)
    )
    groups = {g.id: g for g in session.scalars(select(ProductGroup).where(ProductGroup.infobase_id == infobase.id))}
    count = 0
    for product in products:
        price = next((p.value for p in product.prices if price_type and p.price_type_id == price_type.id), None)
        writer.writerow(
            [
                str(product.ref),
                product.code,
                product.article,
                product.name,
                product.full_name,
                _group_path(groups, product.group_id),
                product.kind.value,
                product.unit.code if product.unit else "",
                product.unit.name if product.unit else "",
                product.vat_rate.value,
                "1" if product.weighed else "0",
                "1" if product.marked else "0",
                " ".join(b.value for b in product.barcodes),
                "" if price is None else f"{price:f}",
            ]
        )
        count += 1
    return count


def import_goods(
    session: Session, infobase: Infobase, source: TextIO, price_type: PriceType | None = None
) -> ImportSummary:
    """Create or update goods from CSV. Rows match existing goods by ``ref``, else by ``code``, else by ``article``."""
    price_type = price_type or default_price_type(session, infobase, create=True)
    assert price_type is not None
    reader = csv.DictReader(source)
    header = reader.fieldnames or []
    missing = REQUIRED - set(header)
    if missing:
        raise CatalogImportError(1, f"missing column(s): {', '.join(sorted(missing))}")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise CatalogImportError(1, f"unknown column(s): {', '.join(sorted(unknown))}; expected {', '.join(COLUMNS)}")

    catalog = _Catalog(session, infobase)
    summary = ImportSummary()
    seen_barcodes: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            created = _apply_row(catalog, price_type, row, line, seen_barcodes)
        except CatalogImportError:
            raise
        except (ValueError, InvalidOperation) as exc:
            raise CatalogImportError(line, str(exc)) from exc
        if created:
            summary.created += 1
        else:
            summary.updated += 1
    session.flush()
    return summary


def default_price_type(session: Session, infobase: Infobase, *, create: bool = False) -> PriceType | None:
    price_type = session.scalar(
        select(PriceType)
        .where(PriceType.infobase_id == infobase.id, PriceType.deleted.is_(False))
        .order_by(PriceType.id)
        .limit(1)
    )
    if price_type is None and create:
        price_type = PriceType(infobase_id=infobase.id, name="Розничная")
        session.add(price_type)
        session.flush()
    return price_type


class _Catalog:
    """Look-ups of one infobase's goods, units and groups, loaded once per import."""

    def __init__(self, session: Session, infobase: Infobase) -> None:
        self.session = session
        self.infobase = infobase
        products = list(session.scalars(select(Product).where(Product.infobase_id == infobase.id)))
        self.by_ref = {p.ref: p for p in products}
        self.by_code = {p.code: p for p in products if p.code}
        self.by_article = {p.article: p for p in products if p.article}
        self.units = {u.code: u for u in session.scalars(select(Unit).where(Unit.infobase_id == infobase.id))}
        groups = list(session.scalars(select(ProductGroup).where(ProductGroup.infobase_id == infobase.id)))
        self.groups = {(g.parent_id, g.name): g for g in groups if not g.deleted}
        self.barcodes = {b.value: b for b in session.scalars(select(Barcode).where(Barcode.infobase_id == infobase.id))}

    def unit(self, code: str, name: str) -> Unit:
        unit = self.units.get(code)
        if unit is None:
            unit = Unit(infobase_id=self.infobase.id, code=code, name=name or code)
            self.session.add(unit)
            self.units[code] = unit
        return unit

    def group(self, path: str) -> ProductGroup | None:
        parent: ProductGroup | None = None
        for name in [part.strip() for part in path.split(GROUP_SEPARATOR.strip())]:
            if not name:
                continue
            self.session.flush()
            key = (parent.id if parent else None, name)
            group = self.groups.get(key)
            if group is None:
                group = ProductGroup(infobase_id=self.infobase.id, name=name, parent=parent)
                self.session.add(group)
                self.session.flush()
                self.groups[key] = group
            parent = group
        return parent


def _apply_row(
    catalog: _Catalog, price_type: PriceType, row: dict[str, str | None], line: int, seen: dict[str, int]
) -> bool:
    def value(column: str) -> str:
        return (row.get(column) or "").strip()

    name = value("name")
    if not name:
        raise CatalogImportError(line, "name is empty")
    if len(name) > 150:
        raise CatalogImportError(line, f"name is longer than 150 characters ({len(name)})")

    product: Product | None = None
    ref_text = value("ref")
    if ref_text:
        try:
            ref = uuid.UUID(ref_text)
        except ValueError:
            raise CatalogImportError(line, f"ref {ref_text!r} is not a UUID") from None
        product = catalog.by_ref.get(ref)
    else:
        ref = uuid.uuid4()
    code, article = value("code"), value("article")
    if product is None and code:
        product = catalog.by_code.get(code)
    if product is None and article and not ref_text:
        product = catalog.by_article.get(article)
    created = product is None
    if product is None:
        product = Product(infobase_id=catalog.infobase.id, ref=ref, name=name)
        catalog.session.add(product)
        catalog.by_ref[ref] = product

    product.name = name
    product.full_name = value("full_name") or product.full_name or name
    product.code = code or product.code
    product.article = article or product.article
    if code:
        catalog.by_code[code] = product
    kind = value("kind")
    if kind:
        product.kind = _enum(ProductKind, kind, line, "kind")
    vat = value("vat_rate").replace("%", "").replace(" ", "").lower()
    if vat:
        product.vat_rate = _enum(VatRate, {"без ндс": "none", "безндс": "none"}.get(vat, vat), line, "vat_rate")
    unit_code = value("unit_code")
    if unit_code:
        if not unit_code.isdigit() or len(unit_code) > 10:
            raise CatalogImportError(line, f"unit_code {unit_code!r} is not an ОКЕИ code (digits)")
        product.unit = catalog.unit(unit_code, value("unit_name"))
    elif created:
        product.unit = catalog.unit("796", "шт")
    for flag in ("weighed", "marked"):
        raw = value(flag).lower()
        if raw in _TRUE:
            setattr(product, flag, True)
        elif raw in _FALSE:
            if raw:
                setattr(product, flag, False)
        else:
            raise CatalogImportError(line, f"{flag} {raw!r} is not a yes/no value")
    group_path = value("group")
    if group_path:
        product.group = catalog.group(group_path)

    barcodes = [b for b in value("barcodes").replace(";", " ").split() if b]
    for barcode in barcodes:
        if len(barcode) > 200:
            raise CatalogImportError(line, f"barcode {barcode[:20]}… is longer than 200 characters")
        if barcode in seen and seen[barcode] != line:
            raise CatalogImportError(line, f"barcode {barcode} is also on line {seen[barcode]}")
        seen[barcode] = line
        existing = catalog.barcodes.get(barcode)
        if existing is not None and existing.product is not product:
            raise CatalogImportError(line, f"barcode {barcode} belongs to another product ({existing.product.name})")
        if existing is None:
            new = Barcode(infobase_id=catalog.infobase.id, value=barcode)
            product.barcodes.append(new)
            catalog.barcodes[barcode] = new

    price_text = value("price").replace(",", ".").replace(" ", "")
    if price_text:
        try:
            price = Decimal(price_text)
        except InvalidOperation:
            raise CatalogImportError(line, f"price {value('price')!r} is not a number") from None
        if not price.is_finite() or price < 0 or price >= Decimal("1e13"):
            raise CatalogImportError(line, f"price {value('price')!r} is out of range")
        _set_price(catalog, product, price_type, price.quantize(Decimal("0.01")))
    return created


def _set_price(catalog: _Catalog, product: Product, price_type: PriceType, price: Decimal) -> None:
    for existing in product.prices:
        if existing.price_type_id == price_type.id:
            existing.value = price
            return
    product.prices.append(Price(infobase_id=catalog.infobase.id, price_type=price_type, value=price))


def _enum(cls: type, raw: str, line: int, column: str):
    try:
        return cls(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)  # type: ignore[attr-defined]
        raise CatalogImportError(line, f"{column} {raw!r} is not one of: {allowed}") from None


def _group_path(groups: dict[int, ProductGroup], group_id: int | None) -> str:
    names: list[str] = []
    while group_id is not None and group_id in groups and len(names) < 64:
        names.append(groups[group_id].name)
        group_id = groups[group_id].parent_id
    return GROUP_SEPARATOR.join(reversed(names))
