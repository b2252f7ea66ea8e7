"""Issue 17's use cases called directly: terminals, discount cards (CSV), stock on hand (CSV, per store), product
kinds and characteristics, and the goods CSV's ``item_kind`` / ``characteristics`` columns — what they build, what
they refuse (naming the field or the line), and that a bad file leaves nothing behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin import cards, catalog, goods_csv, infobases, organizations, stock, terminals, variants
from kassa_server.admin.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.admin.transaction import transaction
from kassa_server.errors import CatalogImportError
from kassa_server.models import Characteristic, DiscountCard, Infobase, ItemKind, Product, StockBalance
from kassa_server.models.engine import make_engine, make_sessionmaker


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _shop(session: Session) -> tuple[Infobase, Product]:
    infobase = infobases.create_infobase(session, "Shop")
    organization = organizations.get_organization(session, infobase)
    organizations.create_store(
        session, infobase, organizations.StoreInput(name="Точка", organization=organization.name)
    )
    organizations.create_store(
        session, infobase, organizations.StoreInput(name="Склад", organization=organization.name)
    )
    product = catalog.create_product(
        session, infobase, catalog.ProductInput(name="Кеды", code="K1", price=Decimal(999))
    )
    return infobase, product


def test_terminals_belong_to_a_store_and_refuse_bad_input(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase, _ = _shop(session)
        added = terminals.add_terminal(
            session,
            infobase,
            terminals.TerminalInput(number=" 123 ", store="Склад", acquirer="Банк", contract_number="Д-1"),
        )
        assert (added.number, added.name, added.store.name, added.acquirer.name) == (
            "123",
            "Терминал 123",
            "Склад",
            "Банк",
        )
        with pytest.raises(AlreadyExistsError):
            terminals.add_terminal(session, infobase, terminals.TerminalInput(number="123"))
        with pytest.raises(ValidationError) as empty:
            terminals.add_terminal(session, infobase, terminals.TerminalInput(number=" "))
        assert empty.value.field == "number"
        with pytest.raises(ValidationError) as contract:
            terminals.add_terminal(session, infobase, terminals.TerminalInput(number="9", contract_number="Д-2"))
        assert contract.value.field == "acquirer"
        with pytest.raises(NotFoundError):
            terminals.add_terminal(session, infobase, terminals.TerminalInput(number="8", store="Нет такого"))
        assert [t.number for t in terminals.list_terminals(session, infobase, store="Точка")] == []
        assert [t.number for t in terminals.list_terminals(session, infobase, store="Склад")] == ["123"]
        changed = terminals.set_terminal(
            session, infobase, "123", terminals.TerminalInput(name="У входа", store="Точка")
        )
        assert (changed.name, changed.store.name) == ("У входа", "Точка")


CARDS_CSV = """number;barcode;owner;kind;discount_percent;status;opened
2000000000015;2000000000015;Иванов И.;Скидка 5 %;5;active;2024-01-02
2000000000022;;;Скидка 3 %;3,5;cancelled;
"""


def test_cards_csv_round_trip_and_a_bad_row_names_its_line(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase, _ = _shop(session)
        summary = cards.import_cards(session, infobase, io.StringIO(CARDS_CSV))
        assert (summary.created, summary.updated) == (2, 0)
        found = cards.get_card(session, infobase, "2000000000015")
        assert (found.owner.name, found.kind, found.discount_percent, found.active) == (
            "Иванов И.",
            "Скидка 5 %",
            Decimal("5.00"),
            True,
        )
        second = cards.get_card(session, infobase, "2000000000022")
        assert (second.discount_percent, second.active, second.owner) == (Decimal("3.50"), False, None)
        out = io.StringIO()
        assert cards.export_cards(session, infobase, out) == 2
        again = cards.import_cards(session, infobase, io.StringIO(out.getvalue()))
        assert (again.created, again.updated) == (0, 2)
    with pytest.raises(CatalogImportError) as bad, transaction(sessions) as session:
        infobase = infobases.get_infobase(session, "Shop")
        cards.import_cards(session, infobase, io.StringIO("number,discount_percent\n3000,10\n3001,120\n"))
    assert bad.value.line == 3 and "discount_percent" in bad.value.reason
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DiscountCard)) == 2  # nothing of the bad file


def test_kinds_characteristics_and_stock_per_store(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase, product = _shop(session)
        variants.create_kind(session, infobase, "Обувь")
        variants.set_product_kind(session, infobase, product.ref, "Обувь")
        for size in ("40", "41"):
            variants.add_characteristic(session, infobase, size, product_ref=product.ref)
        shared = variants.add_characteristic(session, infobase, "Белый", kind="Обувь")
        assert shared.full_name == "Обувь, Белый"
        with pytest.raises(AlreadyExistsError):
            variants.add_characteristic(session, infobase, "40", product_ref=product.ref)
        with pytest.raises(ValidationError):
            variants.add_characteristic(session, infobase, "42", product_ref=product.ref, kind="Обувь")
        names = [c.name for c in variants.characteristics_of(session, infobase, product)]
        assert names == ["40", "41", "Белый"]
        catalog.add_barcode(session, infobase, product.ref, "2000000000411")
        assert variants.set_barcode_characteristic(session, infobase, "2000000000411", "41").characteristic.name == "41"

        stock.set_stock(session, infobase, "Точка", product.ref, Decimal(5), characteristic="40")
        ref = product.ref
    with (
        pytest.raises(CatalogImportError) as bad,
        transaction(sessions) as session,
    ):  # all or nothing: line 2 is fine, line 3 is not
        infobase = infobases.get_infobase(session, "Shop")
        stock.import_stock(session, infobase, "Склад", io.StringIO(f"ref;characteristic;quantity\n{ref};41;7\nx;;1\n"))
    assert bad.value.line == 3
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StockBalance)) == 1
    with transaction(sessions) as session:
        infobase = infobases.get_infobase(session, "Shop")
        product = session.scalars(select(Product).where(Product.ref == ref)).one()
        summary = stock.import_stock(
            session, infobase, "Склад", io.StringIO("code;characteristic;quantity\nK1;41;7\nK1;;1,5\n")
        )
        assert (summary.rows, summary.changed) == (2, 2)
        assert stock.get_stock(session, infobase, "Склад", product.ref, "41") == Decimal(7)
        assert stock.get_stock(session, infobase, "Склад", product.ref) == Decimal("1.5")
        assert stock.get_stock(session, infobase, "Точка", product.ref, "41") == 0
        out = io.StringIO()
        assert stock.export_stock(session, infobase, "Точка", out) == 1
        assert out.getvalue().splitlines()[1].endswith(",40,5.000")
        with pytest.raises(ValidationError) as decimals:
            stock.set_stock(session, infobase, "Точка", product.ref, Decimal("1.0001"))
        assert decimals.value.field == "quantity"


def test_goods_csv_carries_kind_and_characteristics(sessions: sessionmaker[Session]) -> None:
    text = "code;name;item_kind;characteristics\nS1;Футболка;Одежда;S; M ;L\nS2;Носки;;\n"
    with (
        pytest.raises(CatalogImportError),
        transaction(sessions) as session,
    ):  # «;» separates the sizes, so they must be quoted in a «;» file
        infobase, _ = _shop(session)
        goods_csv.import_goods(session, infobase, io.StringIO(text))
    text = 'code,name,item_kind,characteristics\nS1,Футболка,Одежда,"S; M ;L"\nS2,Носки,,\n'
    with transaction(sessions) as session:
        infobase, _ = _shop(session)
        goods_csv.import_goods(session, infobase, io.StringIO(text))
        goods_csv.import_goods(session, infobase, io.StringIO(text))  # again: nothing doubles
        shirt = session.scalars(select(Product).where(Product.code == "S1")).one()
        assert shirt.item_kind is not None and shirt.item_kind.name == "Одежда"
        assert [c.name for c in variants.characteristics_of(session, infobase, shirt)] == ["S", "M", "L"]
        assert session.scalar(select(func.count()).select_from(ItemKind)) == 1
        assert session.scalar(select(func.count()).select_from(Characteristic)) == 3
        out = io.StringIO()
        goods_csv.export_goods(session, infobase, out)
        rows = {line.split(",")[1]: line for line in out.getvalue().splitlines()[1:]}
        assert rows["S1"].endswith(",Одежда,S; M; L") and rows["S2"].endswith(",,")
