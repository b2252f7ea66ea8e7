"""Import and export the goods catalogue as CSV (a header row; columns in ``COLUMNS``).

Reading accepts what spreadsheets write: UTF-8 with or without a BOM or Windows-1251 (``decode_csv``), comma- or
semicolon-separated (detected from the header row). An import is all or nothing: the first bad row raises
``CatalogImportError`` with its line number, and the caller's transaction is rolled back, so nothing of that file
lands. Rows become ``ProductInput`` and go through ``Catalog.save``, the one place a product is built; the session is
flushed once per ``BATCH`` rows.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.catalog import (
    Catalog,
    ProductInput,
    default_price_type,
    list_products,
    parse_enum,
    parse_flag,
    parse_price,
    parse_vat_rate,
)
from kassa_server.admin.variants import VariantsOfImport, own_characteristics
from kassa_server.errors import CatalogImportError, ValidationError
from kassa_server.models import Infobase, ItemKind, PriceType, ProductGroup
from kassa_server.models.enums import ProductKind

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
    "item_kind",  # the product kind (ВидНоменклатуры) by name, created when missing (empty: unchanged)
    "characteristics",  # the product's own characteristics (sizes, colours), separated by ';' (added, never removed)
]
REQUIRED = {"name"}
GROUP_SEPARATOR = " / "
BATCH = 2000
"""Rows per flush: large enough that a flush's fixed costs vanish, small enough to keep memory flat."""
ENCODINGS = ("utf-8-sig", "cp1251")
"""Tried in this order: UTF-8 (a BOM is dropped), then Windows-1251 (Excel's «CSV» in Russian locales)."""

Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0


def decode_csv(data: bytes) -> str:
    """The text of a CSV file in UTF-8 (with or without a BOM) or Windows-1251."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CatalogImportError(1, "the file is neither UTF-8 nor Windows-1251 text")


def export_goods(session: Session, infobase: Infobase, out: TextIO, price_type: PriceType | None = None) -> int:
    if price_type is None:
        price_type = session.scalar(
            select(PriceType)
            .where(PriceType.infobase_id == infobase.id, PriceType.deleted.is_(False))
            .order_by(PriceType.id)
            .limit(1)
        )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    groups = {g.id: g for g in session.scalars(select(ProductGroup).where(ProductGroup.infobase_id == infobase.id))}
    own_variants = own_characteristics(session, infobase)
    kinds = {k.id: k.name for k in session.scalars(select(ItemKind).where(ItemKind.infobase_id == infobase.id))}
    count = 0
    for product in list_products(session, infobase):
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
                kinds.get(product.item_kind_id, "") if product.item_kind_id is not None else "",
                "; ".join(own_variants.get(product.id, ())),
            ]
        )
        count += 1
    return count


def import_goods(
    session: Session,
    infobase: Infobase,
    source: TextIO,
    price_type: PriceType | None = None,
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Create or update goods from CSV. Rows match existing goods by ``ref``, else by ``code``, else by ``article``.

    ``progress`` is called with the number of rows done after each batch.
    """
    price_type = price_type or default_price_type(session, infobase, create=True)
    catalog = Catalog(session, infobase, price_type=price_type, preload=True)
    variants = VariantsOfImport(session, infobase)
    with_variants: list[tuple[int, ProductInput, str, list[str]]] = []
    summary = ImportSummary()
    seen_barcodes: dict[str, int] = {}
    done = 0
    with session.no_autoflush:
        for line, row in _rows(source):
            try:
                data = _product_input(row, line, seen_barcodes)
                created = catalog.save(data)
                kind, sizes = (row.get("item_kind") or "").strip(), _split(row.get("characteristics") or "")
                if kind or sizes:  # applied once the products exist (drafts until the batch is written)
                    with_variants.append((line, data, kind, sizes))
            except ValidationError as exc:
                raise CatalogImportError(line, exc.reason) from exc
            if created:
                summary.created += 1
            else:
                summary.updated += 1
            done += 1
            if done % BATCH == 0:
                catalog.flush()
                if progress is not None:
                    progress(done)
        catalog.flush()
        for line, data, kind, sizes in with_variants:
            product = catalog.find(
                ref=data.ref, code=data.code or None, article=None if data.ref else data.article or None
            )
            try:
                if product is not None:
                    variants.apply(product, kind or None, sizes)
            except ValidationError as exc:
                raise CatalogImportError(line, exc.reason) from exc
        session.flush()
    return summary


def _rows(source: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of each data row; a malformed row is an error naming its line."""
    first = source.readline()
    header_line = first.rstrip("\r\n")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(_chain(first, source), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise CatalogImportError(1, f"malformed header: {exc}") from None
    missing = REQUIRED - set(header)
    if missing:
        raise CatalogImportError(1, f"missing column(s): {', '.join(sorted(missing))}")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise CatalogImportError(1, f"unknown column(s): {', '.join(sorted(unknown))}; expected {', '.join(COLUMNS)}")
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CatalogImportError(start, f"malformed row ({exc}), e.g. an unclosed quote") from None
        line = start
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line
        if len(fields) > len(header):
            raise CatalogImportError(
                line, f"{len(fields)} fields but the header has {len(header)} (a stray '{delimiter}' or quote?)"
            )
        yield line, dict(zip(header, fields, strict=False))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    yield first
    yield from rest


def _product_input(row: dict[str, str], line: int, seen: dict[str, int]) -> ProductInput:
    def value(column: str) -> str:
        return (row.get(column) or "").strip()

    ref_text = value("ref")
    ref = None
    if ref_text:
        try:
            ref = uuid.UUID(ref_text)
        except ValueError:
            raise CatalogImportError(line, f"ref {ref_text!r} is not a UUID") from None
    barcodes = tuple(b for b in value("barcodes").replace(";", " ").split() if b)
    for barcode in barcodes:
        if barcode in seen and seen[barcode] != line:
            raise CatalogImportError(line, f"barcode {barcode} is also on line {seen[barcode]}")
        seen[barcode] = line
    kind, vat, unit_code, group, price = (value(c) for c in ("kind", "vat_rate", "unit_code", "group", "price"))
    return ProductInput(
        ref=ref,
        name=value("name"),
        full_name=value("full_name") or None,
        code=value("code") or None,
        article=value("article") or None,
        kind=parse_enum(ProductKind, kind, "kind") if kind else None,
        vat_rate=parse_vat_rate(vat) if vat else None,
        unit_code=unit_code or None,
        unit_name=value("unit_name"),
        weighed=parse_flag(value("weighed"), "weighed"),
        marked=parse_flag(value("marked"), "marked"),
        group=tuple(part.strip() for part in group.split(GROUP_SEPARATOR.strip())) if group else None,
        barcodes=barcodes,
        price=parse_price(value("price")) if price else None,
    )


def _group_path(groups: dict[int, ProductGroup], group_id: int | None) -> str:
    names: list[str] = []
    while group_id is not None and group_id in groups and len(names) < 64:
        names.append(groups[group_id].name)
        group_id = groups[group_id].parent_id
    return GROUP_SEPARATOR.join(reversed(names))
