"""Fixtures: the state a test starts from, loaded into an infobase in one call; reset = empty it, load again.

A fixture is ``"empty"`` (a new infobase with its default organization, store and price type), ``"demo"`` (the demo
shop of ``admin/demo.py``), or a ``Fixture`` body (``admin/fixture_schema.py``), loaded through the use cases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import yaml
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kassa_server.admin.catalog import Catalog, ProductInput, create_price_type, list_products
from kassa_server.admin.demo import seed_demo
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.admin.faults import FaultInput, add_fault
from kassa_server.admin.fixture_schema import Fixture
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
from kassa_server.errors import ValidationError
from kassa_server.models import Base, FaultRule, Infobase, SoapCall
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
    catalog = Catalog(session, infobase)
    for item in fixture.goods:
        group = item.group.split(GROUP_SEPARATOR.strip()) if isinstance(item.group, str) else item.group
        catalog.create(
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
                barcodes=tuple(item.barcodes),
                price=item.price,
                ref=item.ref,
            )
        )
    session.flush()
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


def _counterparty(session: Session, infobase: Infobase, text: str | None, order_index: int) -> uuid.UUID | None:
    if text is None:
        return None
    for customer in list_counterparties(session, infobase):
        if customer.name == text or str(customer.ref) == text.lower():
            return customer.ref
    raise ValidationError(f"orders.{order_index}.counterparty", f"no counterparty with name or ref {text!r}")


def _product(session: Session, catalog: Catalog, infobase: Infobase, text: str, order_index: int) -> uuid.UUID:
    ref: uuid.UUID | None
    try:
        ref = uuid.UUID(text)
    except ValueError:
        ref = None
    product = catalog.find(ref=ref, code=text)
    if product is None:
        product = next((p for p in list_products(session, infobase) if p.name == text), None)
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
