"""The format → rows seam: one table of handlers, an injected clock, one UTC policy (issue 15 §2)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, seed_demo
from kassa_server.exchange import from_format, to_format
from kassa_server.exchange.clock import from_utc, to_utc, zone
from kassa_server.exchange.errors import ObjectWithoutRef
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import CashRegister, CustomerOrder, ExchangeNode, Infobase, Product, Receipt
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.services.faults import fault_text
from kassa_server.settings import ProtocolOptions, Settings
from tests.exchange import device_messages as dm

NODE = DEMO_FACTORY_NUMBER
FIXED = dt.datetime(2030, 1, 2, 3, 4, 5)


def test_every_handled_type_is_a_format_object_with_a_wire_name() -> None:
    for kind, handler in from_format.HANDLERS.items():
        assert kind.wire_name, kind
        assert handler.__module__ == from_format.__name__


def test_local_format_time_and_stored_utc_convert_both_ways() -> None:
    moscow = zone("Europe/Moscow")
    assert to_utc(dt.datetime(2026, 11, 26, 12, 0), moscow) == dt.datetime(2026, 11, 26, 9, 0)
    assert from_utc(dt.datetime(2026, 11, 26, 9, 0), moscow) == dt.datetime(2026, 11, 26, 12, 0)
    assert to_utc(dt.datetime(2026, 11, 26, 12, 0), zone("UTC")) == dt.datetime(2026, 11, 26, 12, 0)


@pytest.fixture
def sessions(db_url: str) -> Iterator[object]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        seed_demo(session)
    yield factory
    engine.dispose()


def _keys(sessions: object) -> tuple[str, ed.CashRegister, ed.Item]:
    with sessions() as session:  # type: ignore[operator]
        own = session.scalars(select(Infobase)).one().node_code
        register = session.scalars(select(CashRegister).where(CashRegister.factory_number == NODE)).one()
        org = ed.Organization(
            ref=register.organization.ref, name=register.organization.name, legal_form=ed.LegalForm.INDIVIDUAL
        )
        product = session.scalars(select(Product).where(Product.name == "Молоко 3,2% 1 л")).one()
        return own, dm.register_key(register.ref, NODE, org), ed.Item(ref=product.ref, name=product.name)


def test_the_injected_clock_stamps_the_exchange_and_dateless_documents(sessions: object, db_url: str) -> None:
    own, register, milk = _keys(sessions)
    gateway = DatabaseExchangeGateway(sessions, Settings(database_url=db_url), clock=lambda: FIXED)  # type: ignore[arg-type]
    head = dm.header("1.8", from_code=NODE, to_code=own, message_no=1, received_no=0)
    gateway.import_message("kassa", dm.PLAN, NODE, dm.message(head, [dm.sale(register, milk, amount="10.00")]))
    receipt = dm.sale(register, milk, amount="10.00")
    receipt.date = None  # the writer cannot send it; a handler still must not read the wall clock
    with sessions.begin() as session:  # type: ignore[attr-defined]
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        assert node.last_exchange_at == FIXED
        infobase = session.scalars(select(Infobase)).one()
        context = from_format.Context(session, infobase, node, "1.8", lambda: FIXED, zone("UTC"))
        from_format.apply(context, receipt)
        session.flush()
        assert session.scalars(select(Receipt).where(Receipt.ref == receipt.ref)).one().date == FIXED
        assert context.applied == {"receipts": 1}


def test_format_dates_are_stored_as_utc_and_leave_as_local_time(sessions: object, db_url: str) -> None:
    own, register, milk = _keys(sessions)
    settings = Settings(database_url=db_url, protocol=ProtocolOptions(format_timezone="Europe/Moscow"))
    gateway = DatabaseExchangeGateway(sessions, settings)  # type: ignore[arg-type]
    order = ed.CustomerOrder(
        ref=uuid.uuid4(),
        number="D-1",
        date=dt.datetime(2026, 11, 26, 12, 0),
        organization=register.organization,
        currency=ed.Currency(code="643", name="руб."),
        amount=Decimal(10),
        counterparty=ed.Counterparty(ref=uuid.uuid4(), name="Покупатель", legal_form=ed.LegalForm.INDIVIDUAL),
        goods=[
            ed.OrderGoodsRow(
                line_no=1, goods=ed.GoodsData(item=milk), quantity=Decimal(1), amount=Decimal(10), price=Decimal(10)
            )
        ],
    )
    receipt = dm.sale(register, milk, amount="10.00")  # dated 12:05 local
    head = dm.header("1.8", from_code=NODE, to_code=own, message_no=1, received_no=0)
    gateway.import_message("kassa", dm.PLAN, NODE, dm.message(head, [order, receipt]))
    with sessions() as session:  # type: ignore[operator]
        assert session.scalars(select(Receipt)).one().date == dt.datetime(2026, 11, 26, 9, 5)
        assert session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one().date == (
            dt.datetime(2026, 11, 26, 9, 0)
        )
    # another device of the same shop would get it back in local time; the rows → format side converts back
    with sessions() as session:  # type: ignore[operator]
        stored = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one()
        assert to_format.order_key(stored, zone("Europe/Moscow")).date == dt.datetime(2026, 11, 26, 12, 0)


def test_a_rejection_is_typed_in_english_and_worded_by_the_faults_table(sessions: object) -> None:
    _own, register, _milk = _keys(sessions)
    report = ed.RetailReport(ref=None, number="1", date=FIXED, cash_register=register)
    with sessions.begin() as session:  # type: ignore[attr-defined]
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        context = from_format.Context(
            session, session.scalars(select(Infobase)).one(), node, "1.8", lambda: FIXED, zone("UTC")
        )
        with pytest.raises(ObjectWithoutRef) as rejected:
            from_format.apply(context, report)
    assert rejected.value.object_type == "Документ.ОтчетОРозничныхПродажах"
    assert fault_text(rejected.value) == "Документ.ОтчетОРозничныхПродажах without Ссылка"
