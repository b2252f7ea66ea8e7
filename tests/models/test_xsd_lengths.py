"""Text columns are as long as the EnterpriseData XSD lets a device's values be (issue 14, item 15).

Before: a schema-valid 60-character ``НомерВПрограмме`` (the XSD allows 256; the column held 50) failed the whole
message on PostgreSQL, on every retry, while SQLite (which ignores VARCHAR lengths) took it. The first test derives the
maxima from xsd/ for every column the importer fills without cutting; the second sends them to both databases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, seed_demo
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import (
    CashOperation,
    CashRegister,
    Counterparty,
    Infobase,
    Product,
    Receipt,
    Shift,
    ShiftReport,
)
from kassa_server.models.base import Base
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from tests.exchange import device_messages as dm

XS = "{http://www.w3.org/2001/XMLSchema}"
XSD_DIR = Path(__file__).resolve().parents[2] / "xsd"
UNBOUNDED = None

SHIFT_DOCUMENTS = (
    "КлючевыеСвойстваЧекККМ",
    "КлючевыеСвойстваОткрытиеКассовойСмены",
    "КлючевыеСвойстваЗакрытиеКассовойСмены",
    "КлючевыеСвойстваВнесениеДСВКассуККМ",
    "КлючевыеСвойстваВыемкаДСИзКассыККМ",
)
COLUMNS: dict[str, list[tuple[str, str]]] = {
    # column the importer fills as the device sent it → (key-properties type, element) it comes from
    "receipts.shift_number": [("КлючевыеСвойстваЧекККМ", "НомерКассовойСмены")],
    "receipts.number_in_app": [("КлючевыеСвойстваЧекККМ", "НомерВПрограмме")],
    "receipts.fiscal_number": [("КлючевыеСвойстваЧекККМ", "НомерЧекаККМ"), ("КлючевыеСвойстваЧекККМ", "НомерЧекаФР")],
    "shifts.number": [(t, "НомерКассовойСмены") for t in SHIFT_DOCUMENTS],
    "shifts.cashier": [("КлючевыеСвойстваПользователь", "Наименование")],
    "cash_operations.shift_number": [(t, "НомерКассовойСмены") for t in SHIFT_DOCUMENTS[3:]],
    "shift_reports.number": [("КлючевыеСвойстваОтчетОРозничныхПродажах", "Номер")],
    "customer_orders.number": [("КлючевыеСвойстваЗаказКлиента", "Номер")],
    "products.full_name": [("КлючевыеСвойстваНоменклатура", "НаименованиеПолное")],
    "products.article": [("КлючевыеСвойстваНоменклатура", "Артикул")],
    "products.code": [("КлючевыеСвойстваНоменклатура", "КодВПрограмме")],
    "receipt_lines.product_name": [("КлючевыеСвойстваНоменклатура", "Наименование")],
    "counterparties.full_name": [("КлючевыеСвойстваКонтрагент", "НаименованиеПолное")],
}


def _xsd_max_length(type_name: str, element: str) -> int | None:
    """The largest maxLength of ``type_name/element`` over every format version; None when any leaves it open."""
    lengths: list[int | None] = []
    for path in sorted(XSD_DIR.glob("EnterpriseData_*.xsd")):
        root = etree.parse(str(path)).getroot()
        simple = {t.get("name"): t for t in root.iter(f"{XS}simpleType") if t.get("name")}
        for complex_type in root.iter(f"{XS}complexType"):
            if complex_type.get("name") != type_name:
                continue
            for node in complex_type.iter(f"{XS}element"):
                if node.get("name") != element:
                    continue
                declared = node.get("type", "").split(":")[-1]
                restriction = simple.get(declared) if declared else node.find(f"{XS}simpleType")
                limit = restriction.find(f".//{XS}maxLength") if restriction is not None else None
                lengths.append(int(limit.get("value")) if limit is not None else UNBOUNDED)
    assert lengths, f"{type_name}/{element} is in no XSD"
    return None if UNBOUNDED in lengths else max(x for x in lengths if x is not None)


@pytest.mark.parametrize("column", COLUMNS)
def test_the_column_holds_the_longest_value_the_xsd_allows(column: str) -> None:
    table, name = column.split(".")
    length = getattr(Base.metadata.tables[table].c[name].type, "length", None)
    for type_name, element in COLUMNS[column]:
        allowed = _xsd_max_length(type_name, element)
        if allowed is None:
            assert length is None, f"{column} is VARCHAR({length}) but {type_name}/{element} is unbounded"
        else:
            assert length is None or length >= allowed, f"{column} holds {length}, the XSD allows {allowed}"


@pytest.fixture
def shop(db_url: str) -> Iterator[tuple[DatabaseExchangeGateway, ed.CashRegister, str, object]]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
        own = session.scalars(select(Infobase)).one().node_code
        register = session.scalars(select(CashRegister).where(CashRegister.factory_number == DEMO_FACTORY_NUMBER)).one()
        org = ed.Organization(
            ref=register.organization.ref, name=register.organization.name, legal_form=ed.LegalForm.INDIVIDUAL
        )
        key = dm.register_key(register.ref, DEMO_FACTORY_NUMBER, org)
    yield DatabaseExchangeGateway(sessions, Settings(database_url=db_url)), key, own, sessions
    engine.dispose()


def test_the_longest_values_the_xsd_allows_are_stored_whole_on_both_databases(
    shop: tuple[DatabaseExchangeGateway, ed.CashRegister, str, object],
) -> None:
    gateway, register, own, sessions = shop
    n256 = "7" * 256
    long_text = "Ж" * 2000  # unbounded in the XSD
    when = dt.datetime(2026, 11, 30, 12, 0, 0)
    item = ed.Item(
        ref=uuid.uuid4(),
        name="Товар с кассы",
        full_name=long_text,
        article="А" * 300,
        code="К" * 300,
        item_type=ed.ItemType.GOODS,
        unit=ed.Unit(ref=uuid.uuid4(), code="796", name="шт", full_name="Штука"),
        vat=ed.VatRate(Decimal(20)),
    )
    line_item = ed.Item(ref=item.ref, name="Н" * 1500)
    customer = ed.Counterparty(
        ref=uuid.uuid4(), name="Покупатель", full_name=long_text, legal_form=ed.LegalForm.INDIVIDUAL
    )
    money = ed.CashOperationData(
        currency=ed.Currency(code="643", name="руб."), amount=Decimal("10.00"), cashier=ed.User(name="Кассир")
    )
    opening = ed.ShiftOpening(
        ref=uuid.uuid4(), date=when, shift_number=n256, cash_register=register, cashier=ed.User(name="И" * 400)
    )
    deposit = ed.CashDeposit(ref=uuid.uuid4(), date=when, shift_number=n256, cash_register=register, operation=money)
    receipt = dm.sale(register, line_item, amount="10.00", shift=n256)
    receipt.number_in_app = n256
    receipt.receipt_number = n256
    report = ed.RetailReport(
        ref=uuid.uuid4(),
        date=when,
        number=n256,
        organization=register.organization,
        currency=ed.Currency(code="643", name="руб."),
        cash_register=register,
        amount=Decimal("10"),
    )
    head = dm.header("1.21", from_code=DEMO_FACTORY_NUMBER, to_code=own, message_no=1, received_no=0)
    outcome = gateway.import_message(
        "kassa", dm.PLAN, DEMO_FACTORY_NUMBER, dm.message(head, [item, customer, opening, deposit, receipt, report])
    )
    assert outcome.warnings == ()
    with sessions() as session:  # type: ignore[operator]
        stored = session.scalars(select(Receipt)).one()
        assert (stored.shift_number, stored.number_in_app, stored.fiscal_number) == (n256, n256, n256)
        assert stored.lines[0].product_name == "Н" * 1500
        shift = session.scalars(select(Shift).where(Shift.number == n256)).one()
        assert shift.cashier == "И" * 400
        assert session.scalars(select(CashOperation)).one().shift_number == n256
        assert session.scalars(select(ShiftReport)).one().number == n256
        product = session.scalars(select(Product).where(Product.ref == item.ref)).one()
        assert (product.full_name, product.article, product.code) == (long_text, "А" * 300, "К" * 300)
        assert session.scalars(select(Counterparty).where(Counterparty.ref == customer.ref)).one().full_name == (
            long_text
        )
