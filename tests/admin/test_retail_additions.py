"""Use cases the faces added for issue 17: a page of discount cards with a search, renaming a characteristic,
removing a terminal's contract (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin import cards, catalog, infobases, organizations, terminals, variants
from kassa_server.admin.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.admin.text_values import parse_date
from kassa_server.admin.transaction import transaction
from kassa_server.errors import CatalogImportError
from kassa_server.models.engine import make_engine, make_sessionmaker


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_cards_come_in_pages_and_a_search_ignores_letter_case(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        for n in range(1, 6):
            owner = "Смирнова Анна" if n == 4 else f"Клиент {n}"
            cards.add_card(
                session, infobase, cards.CardInput(number=f"C-{n}", barcode=f"BAR{n}", owner=owner, kind="Золотая")
            )
        first = cards.cards_page(session, infobase, page=1, page_size=2)
        assert ([c.number for c in first.rows], first.total, first.pages) == (["C-1", "C-2"], 5, 3)
        last = cards.cards_page(session, infobase, page=9, page_size=2)
        assert (last.page, [c.number for c in last.rows]) == (3, ["C-5"])
        assert [c.number for c in cards.cards_page(session, infobase, search="СМИРНОВА").rows] == ["C-4"]
        assert [c.number for c in cards.cards_page(session, infobase, search="bar2").rows] == ["C-2"]
        assert cards.cards_page(session, infobase, search="золот").total == 5
        assert cards.cards_page(session, infobase, search="nothing").rows == []


def test_a_characteristic_is_renamed_unless_its_owner_has_the_name(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        product = catalog.create_product(session, infobase, catalog.ProductInput(name="Кеды", price=Decimal(1)))
        other = catalog.create_product(session, infobase, catalog.ProductInput(name="Тапки", price=Decimal(1)))
        small = variants.add_characteristic(session, infobase, "41", product_ref=product.ref)
        variants.add_characteristic(session, infobase, "42", product_ref=product.ref)
        variants.add_characteristic(session, infobase, "43", product_ref=other.ref)
        changed = variants.set_characteristic(session, infobase, small.ref, name=" 40 ", full_name="Кеды, размер 40")
        assert (changed.name, changed.full_name) == ("40", "Кеды, размер 40")
        with pytest.raises(AlreadyExistsError):
            variants.set_characteristic(session, infobase, small.ref, name="42")
        # another product's name is free to take
        assert variants.set_characteristic(session, infobase, small.ref, name="43").name == "43"
        with pytest.raises(ValidationError) as empty:
            variants.set_characteristic(session, infobase, small.ref, name=" ")
        assert empty.value.field == "name"
        variants.delete_characteristic(session, infobase, small.ref)
        with pytest.raises(NotFoundError):
            variants.set_characteristic(session, infobase, small.ref, name="44")
        with pytest.raises(NotFoundError):
            variants.characteristic_by_ref(session, infobase, small.ref)


def test_removing_a_terminals_contract_removes_its_date(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        organizations.create_organization(session, infobase, organizations.OrganizationInput(name="ИП Петров"))
        organizations.create_store(session, infobase, organizations.StoreInput(name="Магазин"))
        contract = terminals.TerminalInput(
            number="T-1", acquirer="Банк", contract_number="Э-1", contract_date=dt.date(2026, 1, 15)
        )
        terminal = terminals.add_terminal(session, infobase, contract)
        assert (terminal.contract_number, terminal.contract_date) == ("Э-1", dt.date(2026, 1, 15))
        terminals.set_terminal(session, infobase, "T-1", terminals.TerminalInput(name="У окна"))  # date kept
        assert terminal.contract_date == dt.date(2026, 1, 15)
        terminals.set_terminal(session, infobase, "T-1", terminals.TerminalInput(contract_number=""))
        assert (terminal.contract_number, terminal.contract_date) == ("", None)


def test_a_date_typed_as_text_is_read_alike_by_every_face(sessions: sessionmaker[Session]) -> None:
    assert parse_date(" 2026-01-15 ", "opened") == dt.date(2026, 1, 15)
    assert parse_date("", "opened") is None
    with pytest.raises(ValidationError) as bad:
        parse_date("15.01.2026", "contract_date")
    assert bad.value.field == "contract_date" and "is not a date (YYYY-MM-DD)" in str(bad.value)
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        with pytest.raises(CatalogImportError) as row:
            cards.import_cards(session, infobase, io.StringIO("number,opened\nC-1,15.01.2026\n"))
        assert row.value.line == 2 and "is not a date" in str(row.value)
