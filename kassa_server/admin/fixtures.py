"""Fixtures: the state a test starts from, loaded into an infobase in one call; reset = empty it, load again.

A fixture is ``"empty"`` (a new infobase with its default organization, store and price type), ``"demo"`` (the demo
shop of ``admin/demo.py``), or a ``Fixture`` body (``admin/fixture_schema.py``), loaded through the use cases.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kassa_server.admin.cards import CardInput, add_card
from kassa_server.admin.catalog import Catalog, ProductInput, create_price_type, list_products
from kassa_server.admin.demo import seed_demo
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.admin.faults import FaultInput, add_fault
from kassa_server.admin.fixture_schema import CharacteristicFixture, Fixture, ProductFixture
from kassa_server.admin.goods_csv import GROUP_SEPARATOR
from kassa_server.admin.infobases import UserInput, create_infobase, create_user, get_infobase
from kassa_server.admin.orders import (
    CounterpartyInput,
    OrderInput,
    OrderLineInput,
    create_counterparty,
    create_order,
    list_counterparties,
)
from kassa_server.admin.organizations import OrganizationInput, StoreInput, create_organization, create_store
from kassa_server.admin.stock import set_stock
from kassa_server.admin.terminals import TerminalInput, add_terminal
from kassa_server.admin.variants import add_characteristic, create_kind, set_barcode_characteristic, set_product_kind
from kassa_server.errors import NotFoundError, ValidationError
from kassa_server.models import Base, FaultRule, Infobase, Product, SoapCall
from kassa_server.models.infobases import reusing_password_hashes

BUILTIN_FIXTURES = ("empty", "demo")

_PASSWORD_HASHES: dict[bytes, str] = {}
"""Hashes of the passwords fixtures set, kept for the process's life so a reset costs no scrypt."""


@dataclass(frozen=True)
class InfobaseShape:
    """What survives a reset: the publication's name, title, address and the server's own node code."""

    name: str
    title: str
    public_url: str | None
    exchange_plans: str
    node_code: str


FixtureSpec = str | Fixture
"""A built-in fixture's name (``empty``, ``demo``) or a fixture body."""


def as_fixture(spec: FixtureSpec) -> Fixture:
    if isinstance(spec, Fixture):
        return spec
    if spec not in BUILTIN_FIXTURES:
        raise ValidationError(
            "fixture", f"fixture {spec!r}: expected one of {', '.join(BUILTIN_FIXTURES)} or a fixture body"
        )
    return Fixture(base="demo" if spec == "demo" else "empty")


def parse_fixture(text: str | bytes) -> Fixture:
    """A fixture from JSON or YAML text (JSON is YAML); the first invalid field is named."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError("fixture", f"not JSON or YAML: {exc}") from exc
    try:
        return Fixture.model_validate(data if data is not None else {})
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "fixture"
        raise ValidationError(where, f"{where}: {error['msg']}") from exc


def create_from_fixture(
    session: Session, name: str, fixture: FixtureSpec = "empty", *, title: str = "", public_url: str | None = None
) -> Infobase:
    """A new infobase ``name`` holding ``fixture``."""
    spec = as_fixture(fixture)
    with reusing_password_hashes(_PASSWORD_HASHES):
        if spec.base == "demo":
            infobase = seed_demo(session, name=name, public_url=public_url).infobase
        else:
            defaults = not spec.organizations
            infobase = create_infobase(session, name, title=title, public_url=public_url, defaults=defaults)
        load_fixture(session, infobase, spec)
    return infobase


def load_fixture(session: Session, infobase: Infobase, fixture: Fixture) -> None:
    """Add what ``fixture`` lists (not its ``base``) to ``infobase``, through the same use cases as every face."""
    for org in fixture.organizations:
        organization = OrganizationInput(
            name=org.name,
            full_name=org.full_name,
            inn=org.inn,
            kpp=org.kpp,
            legal_form=org.legal_form,
            tax_system=org.tax_system,
        )
        create_organization(session, infobase, organization)
    for store in fixture.stores:
        create_store(session, infobase, StoreInput(store.name, address=store.address, organization=store.organization))
    for price_type in fixture.price_types:
        create_price_type(session, infobase, price_type)
    for user in fixture.users:
        create_user(session, infobase, UserInput(user.login, user.password, full_name=user.full_name, role=user.role))
    for index, kind in enumerate(fixture.product_kinds):
        with _at(f"product_kinds.{index}"):
            create_kind(
                session,
                infobase,
                kind.name,
                product_kind=kind.product_kind,
                uses_characteristics=kind.uses_characteristics,
            )
            for name in kind.characteristics:
                add_characteristic(session, infobase, name, kind=kind.name)
    catalog = Catalog(session, infobase)
    with_variants: list[tuple[int, Product, ProductFixture]] = []
    for index, item in enumerate(fixture.goods):
        group = item.group.split(GROUP_SEPARATOR.strip()) if isinstance(item.group, str) else item.group
        product = catalog.create(
            ProductInput(
                name=item.name,
                full_name=item.full_name,
                code=item.code,
                article=item.article,
                kind=item.kind,
                vat_rate=item.vat_rate,
                unit_code=item.unit_code,
                unit_name=item.unit_name,
                weighed=item.weighed,
                marked=item.marked,
                group=tuple(part.strip() for part in group if part.strip()) if group else None,
                barcodes=tuple(item.barcodes) + tuple(_variant_barcodes(item)),
                price=item.price,
                ref=item.ref,
            )
        )
        if item.item_kind is not None or item.characteristics:
            with_variants.append((index, product, item))
    session.flush()
    for index, product, item in with_variants:
        _variants(session, infobase, index, product, item)
    for register in fixture.registers:
        device = DeviceInput(
            register.factory_number, name=register.name, organization=register.organization, store=register.store
        )
        register_device(session, infobase, device)
    for customer in fixture.counterparties:
        create_counterparty(
            session,
            infobase,
            CounterpartyInput(
                customer.name,
                full_name=customer.full_name,
                inn=customer.inn,
                kpp=customer.kpp,
                legal_form=customer.legal_form,
                phone=customer.phone,
                email=customer.email,
            ),
        )
    for number, order in enumerate(fixture.orders):
        lines = [
            OrderLineInput(_product(session, catalog, infobase, line.product, number), line.quantity, line.price)
            for line in order.lines
        ]
        data = OrderInput(
            number=order.number,
            lines=lines,
            date=order.date,
            status=order.status,
            organization=order.organization,
            store=order.store,
            device=order.device,
            counterparty=_counterparty(session, infobase, order.counterparty, number),
            comment=order.comment,
        )
        create_order(session, infobase, data)
    _retail(session, catalog, infobase, fixture)
    for fault in fixture.faults:
        add_fault(
            session,
            FaultInput(
                kind=fault.kind,
                infobase=infobase.name,
                service=fault.service,
                operation=fault.operation,
                device=fault.device,
                times=fault.times,
                probability=fault.probability,
                params=fault.params,
            ),
        )
    session.flush()


@contextlib.contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the fixture entry at fault: a use case's ``ValidationError`` or ``NotFoundError`` (a store, a kind, a
    characteristic the entry names) becomes a ``ValidationError`` of the field ``where``."""
    try:
        yield
    except ValidationError as exc:
        if exc.field == where:
            raise
        raise ValidationError(where, f"{exc.field}: {exc.reason}") from exc
    except NotFoundError as exc:
        raise ValidationError(where, str(exc)) from exc


def _variant_barcodes(item: ProductFixture) -> list[str]:
    return [code for entry in item.characteristics if not isinstance(entry, str) for code in entry.barcodes]


def _variants(session: Session, infobase: Infobase, index: int, product: Product, item: ProductFixture) -> None:
    """A product's kind, its own characteristics and the barcodes that point at them."""
    with _at(f"goods.{index}"):
        if item.item_kind is not None:
            set_product_kind(session, infobase, product.ref, item.item_kind)
        for entry in item.characteristics:
            variant = CharacteristicFixture(name=entry) if isinstance(entry, str) else entry
            add_characteristic(session, infobase, variant.name, product_ref=product.ref, full_name=variant.full_name)
            for barcode in variant.barcodes:
                set_barcode_characteristic(session, infobase, barcode, variant.name)


def _retail(session: Session, catalog: Catalog, infobase: Infobase, fixture: Fixture) -> None:
    """Terminals, discount cards and stock on hand, through the same use cases as every face."""
    for index, terminal in enumerate(fixture.terminals):
        with _at(f"terminals.{index}"):
            add_terminal(
                session,
                infobase,
                TerminalInput(
                    number=terminal.number,
                    name=terminal.name,
                    store=terminal.store,
                    organization=terminal.organization,
                    acquirer=terminal.acquirer,
                    contract_number=terminal.contract_number,
                    contract_date=terminal.contract_date,
                ),
            )
    for index, card in enumerate(fixture.cards):
        with _at(f"cards.{index}"):
            data = CardInput(
                number=card.number,
                barcode=card.barcode,
                magnetic_code=card.magnetic_code,
                owner=card.owner,
                kind=card.kind,
                discount_percent=card.discount_percent,
                active=card.active,
                opened_at=card.opened_at,
                organization=card.organization,
            )
            add_card(session, infobase, data)
    for index, row in enumerate(fixture.stock):
        where = f"stock.{index}"
        with _at(where):
            product = _find_product(session, catalog, infobase, row.product)
            if product is None:
                raise ValidationError(where, f"no product with code, ref or name {row.product!r}")
            set_stock(session, infobase, row.store, product.ref, row.quantity, characteristic=row.characteristic)


def _counterparty(session: Session, infobase: Infobase, text: str | None, order_index: int) -> uuid.UUID | None:
    if text is None:
        return None
    for customer in list_counterparties(session, infobase):
        if customer.name == text or str(customer.ref) == text.lower():
            return customer.ref
    raise ValidationError(f"orders.{order_index}.counterparty", f"no counterparty with name or ref {text!r}")


def _find_product(session: Session, catalog: Catalog, infobase: Infobase, text: str) -> Product | None:
    """The product whose ref, code or name is ``text``."""
    ref: uuid.UUID | None
    try:
        ref = uuid.UUID(text)
    except ValueError:
        ref = None
    product = catalog.find(ref=ref, code=text)
    if product is None:
        product = next((p for p in list_products(session, infobase) if p.name == text), None)
    return product


def _product(session: Session, catalog: Catalog, infobase: Infobase, text: str, order_index: int) -> uuid.UUID:
    product = _find_product(session, catalog, infobase, text)
    if product is None:
        raise ValidationError(f"orders.{order_index}.lines", f"no product with code, ref or name {text!r}")
    return product.ref


def delete_infobase(session: Session, name: str) -> None:
    """Delete an infobase with everything in it (the database cascades), its call journal and its fault rules."""
    infobase = get_infobase(session, name)
    # Children first, table by table: PostgreSQL checks a NO ACTION foreign key (order line → product) as each
    # cascade fires, so one DELETE of the infobase row can fail on rows that the same cascade would remove later.
    for table in reversed(Base.metadata.sorted_tables):
        if "infobase_id" in table.c:
            session.execute(table.delete().where(table.c.infobase_id == infobase.id))
            continue
        owned = [
            fk.parent.in_(select(fk.column).where(fk.column.table.c.infobase_id == infobase.id))
            for fk in table.foreign_keys
            if "infobase_id" in fk.column.table.c
        ]
        if owned:
            session.execute(table.delete().where(or_(*owned)))
    session.execute(delete(Infobase).where(Infobase.id == infobase.id))
    session.execute(delete(SoapCall).where(SoapCall.infobase == name))
    session.execute(delete(FaultRule).where(FaultRule.infobase == name))
    session.expunge_all()


def reset_infobase(session: Session, name: str, fixture: FixtureSpec = "empty") -> Infobase:
    """Put ``name`` back to ``fixture``: everything in it, its journal and fault rules go; its node code stays."""
    fixture = as_fixture(fixture)
    infobase = get_infobase(session, name)
    shape = InfobaseShape(name, infobase.title, infobase.public_url, infobase.exchange_plans, infobase.node_code)
    delete_infobase(session, name)
    session.flush()
    fresh = create_from_fixture(session, name, fixture, title=shape.title, public_url=shape.public_url)
    fresh.title, fresh.exchange_plans, fresh.node_code = shape.title, shape.exchange_plans, shape.node_code
    session.flush()
    return fresh


def infobase_exists(session: Session, name: str) -> bool:
    return session.scalar(select(Infobase.id).where(Infobase.name == name)) is not None
