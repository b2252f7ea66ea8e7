"""The goods catalogue: products with their units, groups, barcodes and prices, and the price types.

A product is built in one place, ``Catalog.create``/``Catalog.update``: the CLI, the goods CSV import, the demo, the
back office and the control API all come here, so every product gets the same checks and change tracking sees it once.
``create_product``/``update_product`` are the one-product acts; a bulk import keeps one ``Catalog(preload=True)`` for
the whole file, so its look-ups come from maps loaded once and nothing is flushed until the caller asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session, selectinload

from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.models import Barcode, Infobase, Price, PriceType, Product, ProductGroup, Unit
from kassa_server.models.enums import ProductKind, VatRate
from kassa_server.models.tracking import next_change_seq

DEFAULT_PRICE_TYPE = "Розничная"
DEFAULT_UNIT = ("796", "шт", "Штука")
NAME_MAX = 150
BARCODE_MAX = 200
PRICE_LIMIT = Decimal("1e13")

_TRUE = frozenset({"1", "true", "yes", "y", "да", "д", "+"})
_FALSE = frozenset({"0", "false", "no", "n", "нет", "н", "-", ""})
_E = TypeVar("_E", ProductKind, VatRate)


@dataclass(frozen=True)
class ProductInput:
    """A product as a form, a JSON body or a CSV row gives it. ``None`` (and an empty code or article) leaves the
    field as it is when updating, and means the default when creating; barcodes are added to the existing ones."""

    name: str
    full_name: str | None = None
    code: str | None = None
    article: str | None = None
    kind: ProductKind | None = None
    vat_rate: VatRate | None = None
    unit_code: str | None = None
    """ОКЕИ code, e.g. 796; a unit with that code is created when missing, named ``unit_name``."""
    unit_name: str = ""
    weighed: bool | None = None
    marked: bool | None = None
    group: tuple[str, ...] | None = None
    """The folder path from the top, e.g. ("Продукты", "Молочные"); folders are created when missing."""
    barcodes: tuple[str, ...] = ()
    price: Decimal | None = None
    """The price of the catalogue's price type (by default the infobase's first one)."""
    ref: uuid.UUID | None = None
    """Ссылка of a new product (default: a fresh one)."""


class _Draft:
    """A new product of a bulk import as plain values, until ``Catalog.flush`` writes its batch."""

    def __init__(self, ref: uuid.UUID, name: str) -> None:
        self.id: int | None = None
        self.ref = ref
        self.name = name
        self.full_name = name
        self.code = ""
        self.article = ""
        self.kind = ProductKind.GOODS
        self.vat_rate = VatRate.VAT20
        self.weighed = False
        self.marked = False
        self.unit: Unit | None = None
        self.group: ProductGroup | None = None
        self.barcodes: list[str] = []
        self.price: Decimal | None = None


class Catalog:
    """The products of one infobase as the use cases change them.

    Without ``preload`` every look-up is one query (right for one product from a form). With ``preload`` the products,
    units, folders and barcodes are loaded once and kept in maps, and nothing is flushed: the bulk import's way, which
    flushes once per batch. ``price_type`` is the type ``ProductInput.price`` sets (default: the first one, created as
    «Розничная» when the infobase has none).
    """

    def __init__(
        self, session: Session, infobase: Infobase, *, price_type: PriceType | None = None, preload: bool = False
    ) -> None:
        self.session = session
        self.infobase = infobase
        self._price_type = price_type
        self.preload = preload
        self._units: dict[str, Unit] = {}
        self._groups: dict[tuple[ProductGroup | None, str], ProductGroup] = {}
        self._by_ref: dict[uuid.UUID, Product | _Draft] = {}
        self._by_code: dict[str, Product | _Draft] = {}
        self._by_article: dict[str, Product | _Draft] = {}
        self._barcodes: dict[str, Product | _Draft] = {}
        self._drafts: list[_Draft] = []
        if preload:
            self._load()

    # --- acts ---------------------------------------------------------------------------------------------------

    def create(self, data: ProductInput) -> Product:
        name = _check_name(data.name)
        ref = data.ref or uuid.uuid4()
        if self.find(ref=ref) is not None:
            raise AlreadyExistsError(f"a product with ref {ref} exists already")
        product = Product(infobase_id=self.infobase.id, ref=ref, name=name, full_name=name)
        product.kind = ProductKind.GOODS
        product.vat_rate = VatRate.VAT20
        product.weighed = product.marked = False
        product.code = product.article = ""
        if data.unit_code is None:
            product.unit = self.unit(DEFAULT_UNIT[0], DEFAULT_UNIT[1], DEFAULT_UNIT[2])
        self.session.add(product)
        self._by_ref[ref] = product
        self._apply(product, data)
        return product

    def update(self, product: Product, data: ProductInput) -> Product:
        product.name = _check_name(data.name)
        self._apply(product, data)
        return product

    def save(self, data: ProductInput) -> bool:
        """Update the product ``data`` names (by ref, else by code, else by article when no ref is given) or create
        it; returns whether it was created. With ``preload``, a new product is kept as plain values until ``flush``
        writes the batch (one INSERT per table), the bulk import's way to stay fast."""
        found = self._lookup(ref=data.ref, code=data.code or None, article=None if data.ref else data.article or None)
        if isinstance(found, _Draft) and found.id is not None:
            found = self._materialize(found)
        if found is None:
            if not self.preload:
                self.create(data)
                return True
            ref = data.ref or uuid.uuid4()
            draft = _Draft(ref, _check_name(data.name))
            if data.unit_code is None:
                draft.unit = self.unit(DEFAULT_UNIT[0], DEFAULT_UNIT[1], DEFAULT_UNIT[2])
            self._by_ref[ref] = draft
            self._drafts.append(draft)
            self._apply(draft, data)
            return True
        found.name = _check_name(data.name)
        self._apply(found, data)
        return False

    def flush(self) -> None:
        """Write what is pending: the ORM's changes, then the new products kept as plain values, stamped with one
        change sequence (as models/tracking.py stamps a flush), with their barcodes and prices."""
        self.session.flush()
        pending, self._drafts = self._drafts, []
        if not pending:
            return
        ib, seq = self.infobase.id, next_change_seq(self.session, self.infobase.id)
        rows = [
            {
                "infobase_id": ib,
                "ref": d.ref,
                "name": d.name,
                "full_name": d.full_name,
                "article": d.article,
                "code": d.code,
                "kind": d.kind,
                "unit_id": d.unit.id if d.unit is not None else None,
                "vat_rate": d.vat_rate,
                "weighed": d.weighed,
                "marked": d.marked,
                "group_id": d.group.id if d.group is not None else None,
                "deleted": False,
                "change_seq": seq,
            }
            for d in pending
        ]
        ids = self.session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True), rows).all()
        for draft, new_id in zip(pending, ids, strict=True):
            draft.id = new_id
        barcodes = [
            {"infobase_id": ib, "product_id": d.id, "value": value, "change_seq": seq}
            for d in pending
            for value in d.barcodes
        ]
        if barcodes:
            self.session.execute(insert(Barcode), barcodes)
        price_type_id = self.price_type.id if any(d.price is not None for d in pending) else None
        prices = [
            {"infobase_id": ib, "product_id": d.id, "price_type_id": price_type_id, "value": d.price, "change_seq": seq}
            for d in pending
            if d.price is not None
        ]
        if prices:
            self.session.execute(insert(Price), prices)

    # --- look-ups -----------------------------------------------------------------------------------------------

    def find(
        self, *, ref: uuid.UUID | None = None, code: str | None = None, article: str | None = None
    ) -> Product | None:
        """The product with this ref, else this code, else this article (the first of them given that matches)."""
        found = self._lookup(ref=ref, code=code, article=article)
        return self._materialize(found) if isinstance(found, _Draft) else found

    def _lookup(
        self, *, ref: uuid.UUID | None = None, code: str | None = None, article: str | None = None
    ) -> Product | _Draft | None:
        if ref is not None:
            found = self._by_ref.get(ref)
            if found is None and not self.preload:
                found = self._query(Product.ref == ref)
            if found is not None:
                return found
        if code is not None:
            found = self._by_code.get(code)
            if found is None and not self.preload:
                found = self._query(Product.code == code)
            if found is not None:
                return found
        if article is not None:
            found = self._by_article.get(article)
            if found is None and not self.preload:
                found = self._query(Product.article == article)
            return found
        return None

    def _materialize(self, draft: _Draft) -> Product:
        """The ORM product of a draft (written first if still pending), put in the draft's place in the maps."""
        if draft.id is None:
            self.flush()
        product = self.session.get(Product, draft.id)
        assert product is not None
        for value in draft.barcodes:
            self._barcodes[value] = product
        self._by_ref[product.ref] = product
        if product.code:
            self._by_code[product.code] = product
        if product.article and self._by_article.get(product.article) is draft:
            self._by_article[product.article] = product
        return product

    def _query(self, condition: ColumnElement[bool]) -> Product | None:
        return self.session.scalar(
            select(Product).where(Product.infobase_id == self.infobase.id, condition).order_by(Product.id).limit(1)
        )

    @property
    def price_type(self) -> PriceType:
        if self._price_type is None:
            self._price_type = default_price_type(self.session, self.infobase, create=True)
        return self._price_type

    def unit(self, code: str, name: str = "", full_name: str = "") -> Unit:
        """The unit with this ОКЕИ code, created (named ``name``) when missing."""
        if not code.isdigit() or len(code) > 10:
            raise ValidationError("unit_code", f"unit_code {code!r} is not an ОКЕИ code (digits)")
        unit = self._units.get(code)
        if unit is None and not self.preload:
            unit = self.session.scalar(
                select(Unit).where(Unit.infobase_id == self.infobase.id, Unit.code == code).limit(1)
            )
        if unit is None:
            unit = Unit(infobase_id=self.infobase.id, code=code, name=(name or code)[:50], full_name=full_name)
            self.session.add(unit)
        self._units[code] = unit
        return unit

    def group(self, path: Iterable[str]) -> ProductGroup | None:
        """The folder at ``path`` (names from the top), created level by level when missing; None for an empty path."""
        parent: ProductGroup | None = None
        for raw in path:
            name = raw.strip()
            if not name:
                continue
            if len(name) > NAME_MAX:
                raise ValidationError("group", f"group {name[:20]!r}… is longer than {NAME_MAX} characters")
            key = (parent, name)
            group = self._groups.get(key)
            if group is None and not self.preload:
                parent_id = None if parent is None else parent.id
                group = self.session.scalar(
                    select(ProductGroup)
                    .where(
                        ProductGroup.infobase_id == self.infobase.id,
                        ProductGroup.name == name,
                        ProductGroup.parent_id.is_(None) if parent_id is None else ProductGroup.parent_id == parent_id,
                        ProductGroup.deleted.is_(False),
                    )
                    .limit(1)
                )
            if group is None:
                group = ProductGroup(infobase_id=self.infobase.id, name=name, parent=parent)
                self.session.add(group)
                if not self.preload:
                    self.session.flush()  # the next level looks its parent up by id
            self._groups[key] = group
            parent = group
        return parent

    def barcode_owner(self, value: str) -> Product | _Draft | None:
        owner = self._barcodes.get(value)
        if owner is None and not self.preload:
            owner = self.session.scalar(
                select(Product)
                .join(Barcode, Barcode.product_id == Product.id)
                .where(Barcode.infobase_id == self.infobase.id, Barcode.value == value)
                .limit(1)
            )
        return owner

    # --- internals ----------------------------------------------------------------------------------------------

    def _apply(self, product: Product | _Draft, data: ProductInput) -> None:
        if data.full_name:
            product.full_name = data.full_name
        elif not product.full_name:
            product.full_name = product.name
        if data.code:
            if len(data.code) > 50:
                raise ValidationError("code", f"code {data.code[:20]!r}… is longer than 50 characters")
            product.code = data.code
            self._by_code[data.code] = product
        if data.article:
            if len(data.article) > 50:
                raise ValidationError("article", f"article {data.article[:20]!r}… is longer than 50 characters")
            product.article = data.article
            self._by_article.setdefault(data.article, product)
        if data.kind is not None:
            product.kind = data.kind
        if data.vat_rate is not None:
            product.vat_rate = data.vat_rate
        if data.unit_code is not None:
            product.unit = self.unit(data.unit_code, data.unit_name)
        if data.weighed is not None:
            product.weighed = data.weighed
        if data.marked is not None:
            product.marked = data.marked
        if data.group is not None:
            product.group = self.group(data.group)
        for value in data.barcodes:
            self._add_barcode(product, value)
        if data.price is not None:
            self._set_price(product, data.price)

    def _add_barcode(self, product: Product | _Draft, value: str) -> None:
        value = value.strip()
        if not value:
            return
        if len(value) > BARCODE_MAX:
            raise ValidationError("barcodes", f"barcode {value[:20]}… is longer than {BARCODE_MAX} characters")
        owner = self.barcode_owner(value)
        if owner is not None and owner is not product:
            raise ValidationError("barcodes", f"barcode {value} belongs to another product ({owner.name})")
        if owner is None:
            if isinstance(product, _Draft):
                product.barcodes.append(value)
            else:
                product.barcodes.append(Barcode(infobase_id=self.infobase.id, value=value))
            self._barcodes[value] = product

    def _set_price(self, product: Product | _Draft, value: Decimal) -> None:
        price = check_price(value)
        if isinstance(product, _Draft):
            product.price = price
            return
        price_type = self.price_type
        for existing in product.prices:
            if existing.price_type is price_type or (
                existing.price_type_id is not None and existing.price_type_id == price_type.id
            ):
                existing.value = price
                return
        product.prices.append(Price(infobase_id=self.infobase.id, price_type=price_type, value=price))

    def _load(self) -> None:
        session, ib = self.session, self.infobase.id
        products = list(
            session.scalars(select(Product).where(Product.infobase_id == ib).options(selectinload(Product.prices)))
        )
        by_id = {p.id: p for p in products}
        self._by_ref = {p.ref: p for p in products}
        self._by_code = {p.code: p for p in products if p.code}
        for p in products:
            if p.article:
                self._by_article.setdefault(p.article, p)
        self._units = {u.code: u for u in session.scalars(select(Unit).where(Unit.infobase_id == ib))}
        groups = list(session.scalars(select(ProductGroup).where(ProductGroup.infobase_id == ib)))
        groups_by_id = {g.id: g for g in groups}
        for g in groups:
            if not g.deleted:
                parent = groups_by_id.get(g.parent_id) if g.parent_id is not None else None
                self._groups.setdefault((parent, g.name), g)
        rows = session.execute(select(Barcode.value, Barcode.product_id).where(Barcode.infobase_id == ib))
        self._barcodes = {value: by_id[product_id] for value, product_id in rows if product_id in by_id}


def create_product(
    session: Session, infobase: Infobase, data: ProductInput, *, price_type: PriceType | None = None
) -> Product:
    """Add a product: the one function every face calls (through ``Catalog.create``)."""
    product = Catalog(session, infobase, price_type=price_type).create(data)
    session.flush()
    return product


def update_product(
    session: Session, infobase: Infobase, ref: uuid.UUID, data: ProductInput, *, price_type: PriceType | None = None
) -> Product:
    catalog = Catalog(session, infobase, price_type=price_type)
    product = catalog.find(ref=ref)
    if product is None:
        raise NotFoundError(f"no product with ref {ref} in infobase {infobase.name!r}")
    catalog.update(product, data)
    session.flush()
    return product


def get_product(session: Session, infobase: Infobase, ref: uuid.UUID) -> Product:
    product = Catalog(session, infobase).find(ref=ref)
    if product is None:
        raise NotFoundError(f"no product with ref {ref} in infobase {infobase.name!r}")
    return product


def list_products(session: Session, infobase: Infobase, *, include_deleted: bool = False) -> list[Product]:
    query = (
        select(Product)
        .where(Product.infobase_id == infobase.id)
        .options(selectinload(Product.barcodes), selectinload(Product.prices), selectinload(Product.unit))
        .order_by(Product.id)
    )
    if not include_deleted:
        query = query.where(Product.deleted.is_(False))
    return list(session.scalars(query))


def delete_product(session: Session, infobase: Infobase, ref: uuid.UUID) -> Product:
    """Mark a product deleted (devices drop it at the next exchange); its receipts keep their lines."""
    product = get_product(session, infobase, ref)
    product.deleted = True
    session.flush()
    return product


def restore_product(session: Session, infobase: Infobase, ref: uuid.UUID) -> Product:
    """Take back the mark for deletion: devices get the product again at the next exchange."""
    product = get_product(session, infobase, ref)
    product.deleted = False
    session.flush()
    return product


def set_barcodes(session: Session, infobase: Infobase, ref: uuid.UUID, values: Iterable[str]) -> Product:
    """Make ``values`` the product's barcodes: new ones are added (a barcode of another product is refused), the
    ones not listed are removed."""
    catalog = Catalog(session, infobase)
    product = catalog.find(ref=ref)
    if product is None:
        raise NotFoundError(f"no product with ref {ref} in infobase {infobase.name!r}")
    wanted = [value.strip() for value in values if value.strip()]
    for barcode in [b for b in product.barcodes if b.value not in wanted]:
        product.barcodes.remove(barcode)
    session.flush()
    for value in wanted:
        catalog._add_barcode(product, value)
    session.flush()
    return product


def list_groups(session: Session, infobase: Infobase) -> list[ProductGroup]:
    return list(
        session.scalars(
            select(ProductGroup)
            .where(ProductGroup.infobase_id == infobase.id, ProductGroup.deleted.is_(False))
            .order_by(ProductGroup.id)
        )
    )


def create_group(session: Session, infobase: Infobase, path: Iterable[str]) -> ProductGroup:
    group = Catalog(session, infobase).group(path)
    if group is None:
        raise ValidationError("group", "the group's name is empty")
    session.flush()
    return group


def list_units(session: Session, infobase: Infobase) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit).where(Unit.infobase_id == infobase.id, Unit.deleted.is_(False)).order_by(Unit.code)
        )
    )


def create_unit(session: Session, infobase: Infobase, code: str, name: str, full_name: str = "") -> Unit:
    catalog = Catalog(session, infobase)
    if session.scalar(select(Unit.id).where(Unit.infobase_id == infobase.id, Unit.code == code)) is not None:
        raise AlreadyExistsError(f"unit {code!r} exists already in infobase {infobase.name!r}")
    unit = catalog.unit(code, name, full_name)
    session.flush()
    return unit


def add_barcode(session: Session, infobase: Infobase, ref: uuid.UUID, value: str) -> Product:
    catalog = Catalog(session, infobase)
    product = catalog.find(ref=ref)
    if product is None:
        raise NotFoundError(f"no product with ref {ref} in infobase {infobase.name!r}")
    catalog.update(product, ProductInput(name=product.name, barcodes=(value,)))
    session.flush()
    return product


# --- price types and prices -----------------------------------------------------------------------------------------


def default_price_type(session: Session, infobase: Infobase, *, create: bool = False) -> PriceType:
    """The infobase's first live price type; with ``create``, «Розничная» is made when there is none."""
    price_type = session.scalar(
        select(PriceType)
        .where(PriceType.infobase_id == infobase.id, PriceType.deleted.is_(False))
        .order_by(PriceType.id)
        .limit(1)
    )
    if price_type is None:
        if not create:
            raise NotFoundError(f"infobase {infobase.name!r} has no price type yet")
        price_type = PriceType(infobase_id=infobase.id, name=DEFAULT_PRICE_TYPE)
        session.add(price_type)
        session.flush()
    return price_type


def create_price_type(session: Session, infobase: Infobase, name: str) -> PriceType:
    name = _check_name(name, "price type")
    if _price_type(session, infobase, name) is not None:
        raise AlreadyExistsError(f"price type {name!r} exists already in infobase {infobase.name!r}")
    price_type = PriceType(infobase_id=infobase.id, name=name)
    session.add(price_type)
    session.flush()
    return price_type


def get_price_type(session: Session, infobase: Infobase, name: str | None = None) -> PriceType:
    if name is None:
        return default_price_type(session, infobase)
    found = _price_type(session, infobase, name)
    if found is None:
        raise NotFoundError(f"no price type named {name!r} in infobase {infobase.name!r}")
    return found


def rename_price_type(session: Session, infobase: Infobase, name: str, new_name: str) -> PriceType:
    price_type = get_price_type(session, infobase, name)
    new_name = _check_name(new_name, "price type")
    if new_name != price_type.name and _price_type(session, infobase, new_name) is not None:
        raise AlreadyExistsError(f"price type {new_name!r} exists already in infobase {infobase.name!r}")
    price_type.name = new_name
    session.flush()
    return price_type


def list_price_types(session: Session, infobase: Infobase) -> list[PriceType]:
    return list(
        session.scalars(
            select(PriceType)
            .where(PriceType.infobase_id == infobase.id, PriceType.deleted.is_(False))
            .order_by(PriceType.id)
        )
    )


def set_price(
    session: Session, infobase: Infobase, ref: uuid.UUID, value: Decimal, *, price_type: PriceType | None = None
) -> Product:
    catalog = Catalog(session, infobase, price_type=price_type)
    product = catalog.find(ref=ref)
    if product is None:
        raise NotFoundError(f"no product with ref {ref} in infobase {infobase.name!r}")
    catalog.update(product, ProductInput(name=product.name, price=value))
    session.flush()
    return product


def _price_type(session: Session, infobase: Infobase, name: str) -> PriceType | None:
    return session.scalar(
        select(PriceType).where(
            PriceType.infobase_id == infobase.id, PriceType.name == name, PriceType.deleted.is_(False)
        )
    )


# --- checks and parsing of text input (forms, CSV, command line) ---------------------------------------------------


def check_price(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value >= PRICE_LIMIT:
        raise ValidationError("price", f"price {value!s} is out of range")
    return value.quantize(Decimal("0.01"))


def parse_price(text: str, field: str = "price") -> Decimal:
    """A price as people type it: '.' or ',' as the decimal separator, spaces between thousands."""
    cleaned = text.replace(",", ".").replace(" ", "").replace("\u00a0", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(field, f"{field} {text!r} is not a number") from None
    if not value.is_finite() or value < 0 or value >= PRICE_LIMIT:
        raise ValidationError(field, f"{field} {text!r} is out of range")
    return value


def parse_vat_rate(text: str) -> VatRate:
    """A VAT rate as people write it: '20', '20%', '20/120', 'без НДС', 'none'."""
    raw = text.replace("%", "").replace(" ", "").lower()
    return parse_enum(VatRate, {"безндс": "none"}.get(raw, raw), "vat_rate")


def parse_enum(cls: type[_E], raw: str, field: str) -> _E:
    try:
        return cls(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(field, f"{field} {raw!r} is not one of: {allowed}") from None


def parse_flag(text: str, field: str) -> bool | None:
    """A yes/no value (1/0, true/false, да/нет); None for an empty text."""
    raw = text.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False if raw else None
    raise ValidationError(field, f"{field} {raw!r} is not a yes/no value")


def _check_name(name: str, what: str = "name") -> str:
    name = name.strip()
    if not name:
        raise ValidationError("name", f"{what} is empty" if what == "name" else f"the {what}'s name is empty")
    if len(name) > NAME_MAX:
        raise ValidationError("name", f"{what} is longer than {NAME_MAX} characters ({len(name)})")
    return name
