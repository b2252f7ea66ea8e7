"""The lists the back office pages through: discount cards found by any of their codes, a store's stock found by the
product's name, code or article (letter case ignored, Cyrillic too), a page at a time (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin import cards, catalog, devices, infobases, organizations, sales, stock, terminals, variants
from kassa_server.admin.transaction import transaction
from kassa_server.errors import NotFoundError
from kassa_server.models import Receipt, ReceiptPayment
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import PaymentKind, ReceiptKind


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_cards_page_searches_by_number_barcode_or_magnetic_code_a_page_at_a_time(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        for n in range(1, 8):
            cards.add_card(
                session, infobase, cards.CardInput(number=f"C-{n:03d}", barcode=f"46{n:011d}", magnetic_code=f";M{n}?")
            )
        deleted = cards.add_card(session, infobase, cards.CardInput(number="C-999"))
        cards.delete_card(session, infobase, deleted.number)

        first = cards.cards_page(session, infobase, page=1, page_size=3)
        assert (first.total, first.pages, [c.number for c in first.rows]) == (7, 3, ["C-001", "C-002", "C-003"])
        last = cards.cards_page(session, infobase, page=99, page_size=3)
        assert (last.page, [c.number for c in last.rows]) == (3, ["C-007"])
        assert [c.number for c in cards.cards_page(session, infobase, search="c-00").rows][:2] == ["C-001", "C-002"]
        assert [c.number for c in cards.cards_page(session, infobase, search="00000000005").rows] == ["C-005"]
        assert [c.number for c in cards.cards_page(session, infobase, search="m6").rows] == ["C-006"]
        assert cards.cards_page(session, infobase, search="нет такой").total == 0


def test_search_a_stores_stock_by_product(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        organization = organizations.get_organization(session, infobase)
        for name in ("Точка", "Склад"):
            organizations.create_store(
                session, infobase, organizations.StoreInput(name=name, organization=organization.name)
            )
        boots = catalog.create_product(session, infobase, catalog.ProductInput(name="Ботинки", code="B1"))
        milk = catalog.create_product(session, infobase, catalog.ProductInput(name="Молоко", article="MLK"))
        variants.add_characteristic(session, infobase, "42", product_ref=boots.ref)
        stock.set_stock(session, infobase, "Точка", boots.ref, Decimal(2), characteristic="42")
        stock.set_stock(session, infobase, "Точка", milk.ref, Decimal("1.5"))
        stock.set_stock(session, infobase, "Склад", milk.ref, Decimal(7))

        shop = stock.search_stock(session, infobase, "Точка")
        assert [(b.product.name, b.characteristic.name if b.characteristic else "", b.quantity) for b in shop.rows] == [
            ("Ботинки", "42", Decimal("2.000")),
            ("Молоко", "", Decimal("1.500")),
        ]
        assert [b.product.name for b in stock.search_stock(session, infobase, "Точка", "БОТИН").rows] == ["Ботинки"]
        assert [b.product.name for b in stock.search_stock(session, infobase, "Точка", "mlk").rows] == ["Молоко"]
        warehouse = stock.search_stock(session, infobase, "Склад", page_size=1)
        assert (warehouse.total, [b.quantity for b in warehouse.rows]) == (1, [Decimal("7.000")])


def test_the_characteristics_of_a_kind_are_its_own(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        variants.create_kind(session, infobase, "Обувь")
        variants.create_kind(session, infobase, "Одежда")
        boots = catalog.create_product(session, infobase, catalog.ProductInput(name="Ботинки"))
        variants.add_characteristic(session, infobase, "42", kind="Обувь")
        variants.add_characteristic(session, infobase, "M", kind="Одежда")
        variants.add_characteristic(session, infobase, "43", product_ref=boots.ref)
        assert [c.name for c in variants.characteristics_of_kind(session, infobase, "Обувь")] == ["42"]
        assert variants.characteristics_of_kind(session, infobase, "Одежда")[0].name == "M"
        with pytest.raises(NotFoundError):
            variants.characteristics_of_kind(session, infobase, "Нет такого")


def test_a_receipt_names_its_discount_card_and_the_terminals_of_its_payments(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        infobase = infobases.create_infobase(session, "Shop")
        register = devices.register_device(session, infobase, devices.DeviceInput(factory_number="0001")).register
        card = cards.add_card(session, infobase, cards.CardInput(number="C-1"))
        terminal = terminals.add_terminal(session, infobase, terminals.TerminalInput(number="T-1"))
        receipt = Receipt(
            infobase_id=infobase.id,
            ref=uuid.uuid4(),
            kind=ReceiptKind.SALE,
            date=dt.datetime(2026, 1, 2, 10, 0),
            cash_register_id=register.id,
            shift_number="1",
            amount=Decimal(300),
            cash_amount=Decimal(100),
            card_amount=Decimal(200),
            discount_card_id=card.id,
            payments=[
                ReceiptPayment(kind=PaymentKind.CASH, amount=Decimal(100)),
                ReceiptPayment(kind=PaymentKind.CARD, amount=Decimal(200), terminal_id=terminal.id),
            ],
        )
        session.add(receipt)
        session.flush()
        assert sales.receipt_card(session, receipt) is card
        assert sales.receipt_terminals(session, receipt) == {terminal.id: terminal}
        plain = Receipt(
            infobase_id=infobase.id,
            ref=uuid.uuid4(),
            kind=ReceiptKind.SALE,
            date=dt.datetime(2026, 1, 2, 11, 0),
            cash_register_id=register.id,
            shift_number="1",
            amount=Decimal(1),
            cash_amount=Decimal(1),
            card_amount=Decimal(0),
            discount_card_number="not ours",
        )
        session.add(plain)
        session.flush()
        assert sales.receipt_card(session, plain) is None and sales.receipt_terminals(session, plain) == {}
