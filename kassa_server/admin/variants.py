"""Product kinds (``Справочник.ВидыНоменклатуры``) and characteristics (``Справочник.ХарактеристикиНоменклатуры``):
the variants of a product such as its size or colour (objects.md §4.14).

A characteristic belongs to one product, or to a kind (then every product of that kind has it). Barcodes may point
at a characteristic, receipts name it in ``ДанныеНоменклатуры/Характеристика``, stock is kept per characteristic.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kassa_server.admin.catalog import NAME_MAX, get_product
from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.models import Barcode, Characteristic, Infobase, ItemKind, Product
from kassa_server.models.enums import ProductKind


def create_kind(
    session: Session,
    infobase: Infobase,
    name: str,
    *,
    product_kind: ProductKind = ProductKind.GOODS,
    uses_characteristics: bool = True,
) -> ItemKind:
    name = _name(name, "name")
    if find_kind(session, infobase, name) is not None:
        raise AlreadyExistsError(f"product kind {name!r} exists already in infobase {infobase.name!r}")
    kind = ItemKind(
        infobase_id=infobase.id, name=name, product_kind=product_kind, uses_characteristics=uses_characteristics
    )
    session.add(kind)
    session.flush()
    return kind


def find_kind(session: Session, infobase: Infobase, name: str) -> ItemKind | None:
    return session.scalar(select(ItemKind).where(ItemKind.infobase_id == infobase.id, ItemKind.name == name.strip()))


def get_kind(session: Session, infobase: Infobase, name: str) -> ItemKind:
    kind = find_kind(session, infobase, name)
    if kind is None:
        raise NotFoundError(f"no product kind {name!r} in infobase {infobase.name!r}")
    return kind


def list_kinds(session: Session, infobase: Infobase) -> list[ItemKind]:
    query = select(ItemKind).where(ItemKind.infobase_id == infobase.id, ItemKind.deleted.is_(False))
    return list(session.scalars(query.order_by(ItemKind.id)))


def delete_kind(session: Session, infobase: Infobase, name: str) -> ItemKind:
    kind = get_kind(session, infobase, name)
    for product in session.scalars(select(Product).where(Product.item_kind_id == kind.id)):
        product.item_kind = None
    for characteristic in session.scalars(select(Characteristic).where(Characteristic.item_kind_id == kind.id)):
        session.delete(characteristic)
    session.delete(kind)
    session.flush()
    return kind


def set_product_kind(session: Session, infobase: Infobase, product_ref: uuid.UUID, kind: str | None) -> Product:
    """Give a product its kind (None or "" removes it)."""
    product = get_product(session, infobase, product_ref)
    product.item_kind = get_kind(session, infobase, kind) if kind else None
    session.flush()
    return product


def add_characteristic(
    session: Session,
    infobase: Infobase,
    name: str,
    *,
    product_ref: uuid.UUID | None = None,
    kind: str | None = None,
    full_name: str = "",
) -> Characteristic:
    """A characteristic of one product (``product_ref``) or of every product of a kind (``kind``)."""
    if (product_ref is None) == (kind is None):
        raise ValidationError("owner", "a characteristic belongs to either a product or a product kind")
    name = _name(name, "name")
    product = get_product(session, infobase, product_ref) if product_ref is not None else None
    item_kind = get_kind(session, infobase, kind) if kind is not None else None
    owner_name = product.name if product is not None else item_kind.name if item_kind is not None else ""
    duplicate = session.scalar(
        select(Characteristic).where(
            Characteristic.infobase_id == infobase.id,
            Characteristic.name == name,
            Characteristic.deleted.is_(False),
            Characteristic.product_id == product.id if product is not None else Characteristic.product_id.is_(None),
            Characteristic.item_kind_id == item_kind.id
            if item_kind is not None
            else Characteristic.item_kind_id.is_(None),
        )
    )
    if duplicate is not None:
        raise AlreadyExistsError(f"{owner_name!r} has a characteristic {name!r} already")
    characteristic = Characteristic(
        infobase_id=infobase.id,
        name=name,
        full_name=full_name.strip() or f"{owner_name}, {name}",
        product=product,
        item_kind=item_kind,
    )
    session.add(characteristic)
    session.flush()
    return characteristic


def characteristics_of(session: Session, infobase: Infobase, product: Product) -> list[Characteristic]:
    """The product's own characteristics and those of its kind."""
    owners = [Characteristic.product_id == product.id]
    if product.item_kind_id is not None:
        owners.append(Characteristic.item_kind_id == product.item_kind_id)
    query = select(Characteristic).where(
        Characteristic.infobase_id == infobase.id, Characteristic.deleted.is_(False), or_(*owners)
    )
    return list(session.scalars(query.order_by(Characteristic.id)))


def characteristics_of_kind(session: Session, infobase: Infobase, kind: str) -> list[Characteristic]:
    """The characteristics every product of the kind ``kind`` has."""
    item_kind = get_kind(session, infobase, kind)
    query = select(Characteristic).where(
        Characteristic.infobase_id == infobase.id,
        Characteristic.deleted.is_(False),
        Characteristic.item_kind_id == item_kind.id,
    )
    return list(session.scalars(query.order_by(Characteristic.id)))


def find_characteristic(session: Session, infobase: Infobase, product: Product, name: str) -> Characteristic | None:
    return next((c for c in characteristics_of(session, infobase, product) if c.name == name.strip()), None)


def get_characteristic(session: Session, infobase: Infobase, product: Product, name: str) -> Characteristic:
    found = find_characteristic(session, infobase, product, name)
    if found is None:
        raise NotFoundError(f"product {product.name!r} has no characteristic {name!r}")
    return found


def list_characteristics(session: Session, infobase: Infobase) -> list[Characteristic]:
    query = select(Characteristic).where(Characteristic.infobase_id == infobase.id, Characteristic.deleted.is_(False))
    return list(session.scalars(query.order_by(Characteristic.id)))


def characteristic_by_ref(session: Session, infobase: Infobase, ref: uuid.UUID) -> Characteristic:
    found = session.scalar(
        select(Characteristic).where(Characteristic.infobase_id == infobase.id, Characteristic.ref == ref)
    )
    if found is None or found.deleted:
        raise NotFoundError(f"no characteristic with ref {ref} in infobase {infobase.name!r}")
    return found


def set_characteristic(
    session: Session, infobase: Infobase, ref: uuid.UUID, *, name: str | None = None, full_name: str | None = None
) -> Characteristic:
    """Rename a characteristic (its owner's other characteristics keep their names unique); the devices get it
    again at their next exchange."""
    found = characteristic_by_ref(session, infobase, ref)
    if name is not None and _name(name, "name") != found.name:
        new_name = _name(name, "name")
        duplicate = session.scalar(
            select(Characteristic.id).where(
                Characteristic.infobase_id == infobase.id,
                Characteristic.name == new_name,
                Characteristic.deleted.is_(False),
                Characteristic.id != found.id,
                Characteristic.product_id == found.product_id
                if found.product_id is not None
                else Characteristic.product_id.is_(None),
                Characteristic.item_kind_id == found.item_kind_id
                if found.item_kind_id is not None
                else Characteristic.item_kind_id.is_(None),
            )
        )
        if duplicate is not None:
            raise AlreadyExistsError(f"the owner of {found.name!r} has a characteristic {new_name!r} already")
        found.name = new_name
    if full_name is not None:
        found.full_name = full_name.strip()
    session.flush()
    return found


def delete_characteristic(session: Session, infobase: Infobase, ref: uuid.UUID) -> Characteristic:
    found = characteristic_by_ref(session, infobase, ref)
    session.delete(found)
    session.flush()
    return found


def set_barcode_characteristic(
    session: Session, infobase: Infobase, barcode: str, characteristic: str | None
) -> Barcode:
    """Point a barcode at one of its product's characteristics (None: at the product itself)."""
    row = session.scalar(select(Barcode).where(Barcode.infobase_id == infobase.id, Barcode.value == barcode.strip()))
    if row is None:
        raise NotFoundError(f"no barcode {barcode!r} in infobase {infobase.name!r}")
    row.characteristic = get_characteristic(session, infobase, row.product, characteristic) if characteristic else None
    session.flush()
    return row


class VariantsOfImport:
    """The goods CSV's ``item_kind`` and ``characteristics`` columns for one import: kinds by name (created when
    missing) and each product's own characteristics (added when missing, never removed)."""

    def __init__(self, session: Session, infobase: Infobase) -> None:
        self.session = session
        self.infobase = infobase
        self.kinds = {k.name: k for k in session.scalars(select(ItemKind).where(ItemKind.infobase_id == infobase.id))}
        self.own: dict[object, set[str]] = {}
        for product_id, name in session.execute(
            select(Characteristic.product_id, Characteristic.name).where(
                Characteristic.infobase_id == infobase.id, Characteristic.product_id.is_not(None)
            )
        ):
            self.own.setdefault(product_id, set()).add(name)

    def apply(self, product: Product, kind: str | None, characteristics: Iterable[str]) -> None:
        if kind is not None:
            product.item_kind = self._kind(kind) if kind.strip() else None
        names = self.own.setdefault(product.id if product.id is not None else ("new", id(product)), set())
        for raw in characteristics:
            name = _name(raw, "characteristics")
            if name in names:
                continue
            names.add(name)
            self.session.add(
                Characteristic(
                    infobase_id=self.infobase.id, name=name, full_name=f"{product.name}, {name}", product=product
                )
            )

    def _kind(self, name: str) -> ItemKind:
        name = _name(name, "item_kind")
        kind = self.kinds.get(name)
        if kind is None:
            kind = ItemKind(infobase_id=self.infobase.id, name=name)
            self.session.add(kind)
            self.kinds[name] = kind
        return kind


def own_characteristics(session: Session, infobase: Infobase) -> dict[int, list[str]]:
    """Product id → the names of its own characteristics (the goods CSV's ``characteristics`` column)."""
    names: dict[int, list[str]] = {}
    query = (
        select(Characteristic.product_id, Characteristic.name)
        .where(
            Characteristic.infobase_id == infobase.id,
            Characteristic.product_id.is_not(None),
            Characteristic.deleted.is_(False),
        )
        .order_by(Characteristic.id)
    )
    for product_id, name in session.execute(query):
        names.setdefault(product_id, []).append(name)
    return names


def _name(value: str, field: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError(field, "the name is empty")
    if len(name) > NAME_MAX:
        raise ValidationError(field, f"{name[:20]!r}… is longer than {NAME_MAX} characters")
    return name
