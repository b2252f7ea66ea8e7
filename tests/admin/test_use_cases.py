"""The use cases every face calls (kassa_server.admin), called directly: what they build, what they refuse (with the
field to point at), that reads write nothing, and that one transaction per act leaves nothing behind on an error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin import catalog, devices, infobases, organizations
from kassa_server.admin.errors import (
    AlreadyExistsError,
    CatalogImportError,
    KassaError,
    NotFoundError,
    ValidationError,
)
from kassa_server.admin.transaction import transaction
from kassa_server.app import create_app
from kassa_server.models import CashRegister, ExchangeNode, Infobase, Price, Product, Unit, User
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import RegisterKind, UserRole, VatRate
from kassa_server.settings import Settings
from tests.live_server import live_server


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _shop(session: Session, name: str = "Shop") -> Infobase:
    infobase = infobases.create_infobase(session, name)
    if not organizations.list_organizations(session, infobase):
        organization = organizations.create_organization(
            session, infobase, organizations.OrganizationInput(name="ООО Тест", inn="7701234567")
        )
        organizations.create_store(
            session, infobase, organizations.StoreInput(name="Точка", organization=organization.name)
        )
    return infobase


def test_the_errors_are_one_documented_tree() -> None:
    for cls in (ValidationError, NotFoundError, AlreadyExistsError):
        assert issubclass(cls, KassaError)
    error = ValidationError("price", "price 'x' is not a number")
    assert (error.field, error.reason, str(error)) == (
        "price",
        "price 'x' is not a number",
        "price 'x' is not a number",
    )


def test_create_product_builds_it_with_its_unit_group_barcode_and_price(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session)
        product = catalog.create_product(
            session,
            infobase,
            catalog.ProductInput(
                name="Молоко", group=("Продукты", "Молочные"), barcodes=("4600000000008",), price=Decimal("89.9")
            ),
        )
        ref = product.ref
    with sessions() as session:
        product = session.scalars(select(Product).where(Product.ref == ref)).one()
        assert (product.name, product.full_name, product.vat_rate, product.weighed) == (
            "Молоко",
            "Молоко",
            VatRate.VAT20,
            False,
        )
        assert product.unit is not None and (product.unit.code, product.unit.name) == ("796", "шт")
        assert product.group is not None and product.group.name == "Молочные"
        assert product.group.parent is not None and product.group.parent.name == "Продукты"
        assert [b.value for b in product.barcodes] == ["4600000000008"]
        [price] = product.prices
        assert (price.value, price.price_type.name) == (Decimal("89.90"), "Розничная")
        assert product.change_seq > 0  # change tracking saw it


def test_a_refused_product_names_the_field_and_its_act_leaves_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session)
        catalog.create_product(session, infobase, catalog.ProductInput(name="A", barcodes=("111",)))
    cases = [
        (catalog.ProductInput(name="  "), "name"),
        (catalog.ProductInput(name="B", barcodes=("111",)), "barcodes"),
        (catalog.ProductInput(name="B", unit_code="шт"), "unit_code"),
        (catalog.ProductInput(name="B", price=Decimal("-1")), "price"),
        (catalog.ProductInput(name="B" * 151), "name"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as caught, transaction(sessions) as session:
            catalog.create_product(session, infobases.get_infobase(session, "Shop"), data)
        assert caught.value.field == field
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 1
        assert session.scalar(select(func.count()).select_from(Unit)) == 1


def test_update_product_keeps_what_is_not_given(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session)
        ref = catalog.create_product(
            session, infobase, catalog.ProductInput(name="A", code="1", vat_rate=VatRate.VAT10, price=Decimal(5))
        ).ref
    with transaction(sessions) as session:
        infobase = infobases.get_infobase(session, "Shop")
        catalog.update_product(session, infobase, ref, catalog.ProductInput(name="A2", price=Decimal(7)))
        with pytest.raises(NotFoundError):
            catalog.update_product(session, infobase, uuid.uuid4(), catalog.ProductInput(name="x"))
    with sessions() as session:
        product = session.scalars(select(Product)).one()
        assert (product.name, product.code, product.vat_rate) == ("A2", "1", VatRate.VAT10)
        assert [p.value for p in session.scalars(select(Price))] == [Decimal("7.00")]


@pytest.mark.parametrize("name", ["api", "static", "login", "logout", "assets", "API"])
def test_the_faces_names_are_reserved(sessions: sessionmaker[Session], name: str) -> None:
    with pytest.raises(ValidationError, match="is reserved") as caught, transaction(sessions) as session:
        infobases.create_infobase(session, name)
    assert caught.value.field == "name"


def test_listing_devices_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session)
        organization = organizations.get_organization(session, infobase)
        # a register made by other code, without a node yet
        session.add(
            CashRegister(
                infobase_id=infobase.id,
                name="Касса",
                kind=RegisterKind.MOBILE_KASSA,
                factory_number="42",
                organization=organization,
            )
        )
    with sessions() as session:
        infobase = infobases.get_infobase(session, "Shop")
        [device] = devices.list_devices(session, infobase)
        assert device.node is None and device.node_code == "42"
        assert devices.get_device(session, infobase, "42").node is None
        assert not session.new and not session.dirty
        assert session.scalar(select(func.count()).select_from(ExchangeNode)) == 0


def test_register_device_refuses_what_the_qr_string_cannot_carry(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session)
        for number in ("12;34", "12\n34", "", "x" * 51):
            with pytest.raises(ValidationError) as caught:
                devices.register_device(session, infobase, devices.DeviceInput(number))
            assert caught.value.field == "factory_number"
        device = devices.register_device(session, infobase, devices.DeviceInput(" 7 "))
        assert device.node is not None and device.node.code == "7"
        with pytest.raises(AlreadyExistsError):
            devices.register_device(session, infobase, devices.DeviceInput("7"))


def test_users_have_a_role_and_a_disabled_user_fails_basic_auth(
    sqlite_url: str, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        infobase = _shop(session, "kassa")
        infobases.add_user(session, infobase, "Кассир", "p")
        admin = infobases.add_user(session, infobase, "Админ", "a", role=UserRole.ADMINISTRATOR)
        assert admin.is_administrator and not admin.is_cashier
    url = "/kassa/ws/Exchange_2_0_1_6/ping"
    with live_server(create_app(Settings(database_url=sqlite_url))) as base:
        assert httpx.get(base + url, auth=("Кассир".encode(), b"p")).status_code == 200
        with transaction(sessions) as session:
            infobases.set_user_disabled(session, infobases.get_infobase(session, "kassa"), "Админ")
        assert httpx.get(base + url, auth=("Админ".encode(), b"a")).status_code == 401
    with sessions() as session:
        assert session.scalars(select(User.disabled).order_by(User.id)).all() == [False, True]


def test_a_bulk_import_writes_whole_batches_stamped_for_the_devices(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from kassa_server.admin import goods_csv

    monkeypatch.setattr(goods_csv, "BATCH", 2)
    text = (
        "code,name,barcodes,price,group\n"
        "1,Первый,111,10,Г / П\n"
        "2,Второй,222,20,Г\n"
        "3,Третий,,30,\n"
        "1,Первый снова,333,11,Г / П\n"  # the same code in a later batch: an update of the written product
        "3,Третий снова,,31,\n"  # and of one still pending in this batch
    )
    with transaction(sessions) as session:
        infobase = _shop(session)
        before = infobase.change_seq
        summary = goods_csv.import_goods(session, infobase, io.StringIO(text))
        assert (summary.created, summary.updated) == (3, 2)
    with sessions() as session:
        products = {p.code: p for p in session.scalars(select(Product))}
        assert {code: p.name for code, p in products.items()} == {
            "1": "Первый снова",
            "2": "Второй",
            "3": "Третий снова",
        }
        assert sorted(b.value for b in products["1"].barcodes) == ["111", "333"]
        assert [p.value for p in products["1"].prices] == [Decimal("11.00")]
        assert [p.value for p in products["3"].prices] == [Decimal("31.00")]
        assert products["1"].group is not None and products["1"].group.name == "П"
        assert products["1"].unit is not None and products["1"].unit.code == "796"
        rows = [*products.values(), *(b for p in products.values() for b in p.barcodes)]
        assert all(row.change_seq > before for row in rows)
    with (
        pytest.raises(CatalogImportError, match="line 2: barcode 222 belongs to another product"),
        transaction(sessions) as session,
    ):
        goods_csv.import_goods(
            session, infobases.get_infobase(session, "Shop"), io.StringIO("code,name,barcodes\n9,X,222\n")
        )
