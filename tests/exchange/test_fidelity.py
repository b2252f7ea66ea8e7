"""Protocol fidelity of the exchange logic (issue 9, issue 14 §13–14), at the gateway: what a device sends is applied
as 1C applies it, never echoed back to it, and never booked to a register that did not send it."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import seed_demo
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.exchange import from_format
from kassa_server.exchange.files import exchange_entry_name, zip_message
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.exchange.outbound import RECEIVES, our_object_types
from kassa_server.models import (
    CashRegister,
    Counterparty,
    CustomerOrder,
    Infobase,
    Organization,
    Product,
    RawObject,
    Receipt,
)
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import OrderStatus
from kassa_server.settings import ProtocolOptions, Settings
from tests.exchange import device_messages as dm
from tests.exchange.demo_shop import demo_shop
from tests.exchange.test_device_exchange import NODE, Shop, _item_key, _register_key

SECOND = "0000000002000002"
RUB = ed.Currency(code="643", name="руб.")
FIXED = dm.header("1.21", from_code=NODE, to_code=None, message_no=1, received_no=0).creation_date


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    with demo_shop(db_url, DeviceInput(SECOND, name="Касса 2")) as demo:
        yield Shop(demo.sessions, demo.gateway, demo.own_code)


def _head(shop: Shop, number: int, node: str = NODE, received: int = 0) -> ed.Header:
    return dm.header("1.21", from_code=node, to_code=shop.own_code, message_no=number, received_no=received)


def _sync(shop: Shop, node: str = NODE) -> int:
    """Download everything pending for ``node`` and acknowledge it; returns the message number."""
    head, _ = shop.download_objects(node)
    assert head.message_no is not None
    return head.message_no


def _device_order(register: ed.CashRegister, lines: list[ed.OrderGoodsRow], **fields: object) -> ed.CustomerOrder:
    total = sum((line.amount or Decimal(0) for line in lines), Decimal(0))
    return ed.CustomerOrder(
        ref=uuid.uuid4(),
        number="МК-7",
        date=dm.header("1.21", from_code=NODE, to_code=None, message_no=1, received_no=0).creation_date,
        organization=register.organization,
        currency=RUB,
        amount=total,
        goods=lines,
        **{"counterparty": ed.Counterparty(ref=uuid.uuid4(), name="Покупатель", legal_form=ed.LegalForm.INDIVIDUAL)}
        | fields,  # type: ignore[arg-type]
    )


def _line(number: int, item: ed.Item, amount: str) -> ed.OrderGoodsRow:
    value = Decimal(amount)
    return ed.OrderGoodsRow(
        line_no=number, goods=ed.GoodsData(item=item), quantity=Decimal(1), price=value, amount=value
    )


def test_nothing_a_device_sent_comes_back_to_it_but_others_get_it(shop: Shop) -> None:
    """Issue 9 §1: SSL31 ОбменДаннымиСервер.УстановитьОбменДаннымиЗагрузка sets ОбменДанными.Отправитель."""
    sent = _sync(shop)
    shop.upload(_head(shop, 1, node=SECOND, received=_sync(shop, SECOND)), [], node=SECOND)  # SECOND is up to date
    register = _register_key(shop)
    new_item = ed.Item(
        ref=uuid.uuid4(),
        name="Пирожок с капустой",
        item_type=ed.ItemType.GOODS,
        unit=ed.Unit(code="796", name="шт"),
    )
    with shop.sessions() as session:
        mine = session.scalars(
            select(CustomerOrder).where(CustomerOrder.cash_register_id.is_not(None)).order_by(CustomerOrder.id)
        ).first()
        assert mine is not None
        key = ed.CustomerOrder(ref=mine.ref, number=mine.number, date=mine.date, organization=register.organization)
    state = ed.OrderState(ref=uuid.uuid4(), order=key, state=ed.OrderStatus.CANCELLED, name="отмена")
    shop.upload(_head(shop, 1, received=sent), [new_item, state])  # acknowledges the first download too
    with shop.sessions() as session:
        assert session.scalars(select(CustomerOrder).where(CustomerOrder.ref == key.ref)).one().status == (
            OrderStatus.CANCELLED
        )
        assert session.scalar(select(func.count()).where(Product.ref == new_item.ref)) == 1
    _head_back, back = shop.download_objects()
    assert not [o for o in back if isinstance(o, ed.Item | ed.OrderState | ed.CustomerOrder)], back
    _head_other, theirs = shop.download_objects(SECOND)
    assert [o.ref for o in theirs if isinstance(o, ed.Item)] == [new_item.ref]  # another device still gets it
    with shop.sessions.begin() as session:  # a later back-office change does go to the device
        session.scalars(select(Product).where(Product.ref == new_item.ref)).one().name = "Пирожок с капустой, 80 г"
    _head_again, again = shop.download_objects()
    assert [o.name for o in again if isinstance(o, ed.Item)] == ["Пирожок с капустой, 80 г"]


@pytest.mark.parametrize("state_first", [True, False])
def test_an_order_and_its_state_in_one_message_apply_in_any_order(shop: Shop, state_first: bool) -> None:
    """Issue 9 §2: references to an order of the same message wait for the end of the Body."""
    register = _register_key(shop)
    order = _device_order(register, [_line(1, _item_key(shop, "Молоко 3,2% 1 л"), "89.90")])
    key = ed.CustomerOrder(ref=order.ref, number=order.number, date=order.date, organization=order.organization)
    state = ed.OrderState(ref=uuid.uuid4(), order=key, state=ed.OrderStatus.DONE, name="выполнен")
    paid = dm.sale(register, _item_key(shop, "Молоко 3,2% 1 л"), amount="89.90", order=key)
    body = [state, paid, order] if state_first else [order, state, paid]
    outcome = shop.upload(_head(shop, 1), body)
    assert outcome.warnings == ()
    with shop.sessions() as session:
        stored = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one()
        assert stored.status == OrderStatus.COMPLETED and stored.paid
        assert session.scalars(select(Receipt)).one().order_id == stored.id
        assert session.scalar(select(func.count()).select_from(RawObject)) == 0


def test_a_state_of_an_unknown_order_is_journaled(shop: Shop) -> None:
    register = _register_key(shop)
    key = ed.CustomerOrder(ref=uuid.uuid4(), number="нет", date=FIXED, organization=register.organization)
    state = ed.OrderState(ref=uuid.uuid4(), order=key, state=ed.OrderStatus.DONE, name="выполнен")
    outcome = shop.upload(_head(shop, 1), [state])
    assert any("not found" in warning and str(key.ref) in warning for warning in outcome.warnings)


def test_a_device_order_keeps_unknown_goods_its_organization_customer_and_totals(shop: Shop) -> None:
    """Issue 9 §3: goods the server does not know are made from the line's key properties."""
    register = _register_key(shop)
    pie = ed.Item(ref=uuid.uuid4(), name="Пирожок", full_name="Пирожок с капустой", code="МК-0001", article="П-1")
    milk = _item_key(shop, "Молоко 3,2% 1 л")
    customer = ed.Counterparty(ref=uuid.uuid4(), name="Новый покупатель", legal_form=ed.LegalForm.INDIVIDUAL)
    order = _device_order(register, [_line(1, pie, "45.00"), _line(2, milk, "89.90")], counterparty=customer)
    shop.upload(_head(shop, 1), [customer, order])  # the customer as its own object and inside the order
    with shop.sessions() as session:
        stored = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one()
        assert [(line.product.ref, line.amount) for line in stored.lines] == [
            (pie.ref, Decimal("45.00")),
            (milk.ref, Decimal("89.90")),
        ]
        assert stored.amount == order.amount == sum(line.amount for line in stored.lines)
        made = session.scalars(select(Product).where(Product.ref == pie.ref)).one()
        assert (made.name, made.full_name, made.code, made.article) == (
            "Пирожок",
            "Пирожок с капустой",
            "МК-0001",
            "П-1",
        )
        org = session.get(Organization, stored.organization_id)
        assert org is not None and org.ref == register.organization.ref  # type: ignore[union-attr]
        # issue 14 §14: the customer sent twice in one message is stored once
        assert session.scalar(select(func.count()).where(Counterparty.ref == customer.ref)) == 1
        assert stored.counterparty is not None and stored.counterparty.ref == customer.ref


def test_receipts_naming_another_devices_register_are_rejected_one_by_one(shop: Shop) -> None:
    """Issue 9 §4: never booked to the calling device; the rest of the message is applied; journaled."""
    mine = _register_key(shop)
    theirs = _register_key(shop, SECOND)
    milk = _item_key(shop, "Молоко 3,2% 1 л")
    good = dm.sale(mine, milk, amount="10.00")
    foreign = dm.sale(theirs, milk, amount="20.00")
    stranger = ed.Organization(ref=uuid.uuid4(), name="ООО Чужая", legal_form=ed.LegalForm.LEGAL_ENTITY)
    other_org = dm.sale(dm.register_key(mine.ref, NODE, stranger), milk, amount="30.00")  # type: ignore[arg-type]
    outcome = shop.upload(_head(shop, 1), [good, foreign, other_org])
    assert any(str(foreign.ref) in w and SECOND in w for w in outcome.warnings), outcome.warnings
    assert any(str(other_org.ref) in w and "ООО Чужая" in w for w in outcome.warnings), outcome.warnings
    with shop.sessions() as session:
        assert [r.ref for r in session.scalars(select(Receipt))] == [good.ref]
        assert session.scalar(select(func.count()).select_from(RawObject)) == 2  # kept for the back office to see


def test_a_receipt_belongs_to_the_register_that_sent_it_first(shop: Shop) -> None:
    """Issue 14 §13: another device's copy of the same Ссылка is refused, the first stays as it was."""
    milk = _item_key(shop, "Молоко 3,2% 1 л")
    first = dm.sale(_register_key(shop), milk, amount="10.00")
    shop.upload(_head(shop, 1), [first])
    copy = dm.sale(_register_key(shop, SECOND), milk, amount="99.00", ref=first.ref)
    outcome = shop.upload(_head(shop, 1, node=SECOND), [copy], node=SECOND)
    assert any(str(first.ref) in w and NODE in w for w in outcome.warnings), outcome.warnings
    with shop.sessions() as session:
        receipt = session.scalars(select(Receipt)).one()
        register = session.get(CashRegister, receipt.cash_register_id)
        assert receipt.amount == Decimal("10.00") and register is not None and register.factory_number == NODE


def test_the_lenient_setting_books_what_it_is_told(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
        infobase = session.scalars(select(Infobase)).one()
        register_device(session, infobase, DeviceInput(SECOND, name="Касса 2"))
        own = infobase.node_code
    lenient = ProtocolOptions(strict_node_identity=False)
    shop = Shop(sessions, DatabaseExchangeGateway(sessions, Settings(database_url=db_url, protocol=lenient)), own)
    foreign = dm.sale(_register_key(shop, SECOND), _item_key(shop, "Молоко 3,2% 1 л"), amount="20.00")
    assert shop.upload(_head(shop, 1), [foreign]).warnings == ()
    with sessions() as session:
        register = session.get(CashRegister, session.scalars(select(Receipt)).one().cash_register_id)
        assert register is not None and register.factory_number == SECOND
    engine.dispose()


def test_what_we_advertise_as_received_is_what_we_apply() -> None:
    """Issue 9 §5: every type in Receiving has a handler that applies it (no raw-only types)."""
    handled = {kind.wire_name for kind, h in from_format.HANDLERS.items() if h is not from_format.reference_only}  # type: ignore[attr-defined]
    received = {t.name for t in our_object_types() if t.receiving}
    assert received == set(RECEIVES) and received <= handled
    assert "Справочник.ШтрихкодыНоменклатуры" not in received and "Документ.ЗаказКлиента" in received


def test_the_header_carries_prefix_and_object_types_in_ssl_order(shop: Shop) -> None:
    """Issue 9 §9: SSL31 ОбменДаннымиXDTOСервер.ЗаписатьЗаголовокСообщенияОбмена, ВыгрузитьПоддерживаемыеОбъекты…"""
    out = io.BytesIO()
    shop.gateway.export_message("kassa", dm.PLAN, NODE, out)
    head = ed.read_message(io.BytesIO(out.getvalue())).header
    assert head.prefix == ""
    names = [t.name for t in head.available_object_types or []]
    assert names == sorted(names) and len(names) == len(set(names))
    assert b"<msg:Prefix" in out.getvalue().split(b"</msg:Header>")[0]


def test_the_zip_member_is_named_as_ssl_names_it() -> None:
    """SSL31 ОбменДаннымиСервер.УникальноеИмяФайлаСообщенияОбмена: "Message{GUID}.xml" with GUID replaced."""
    name = exchange_entry_name()
    assert name.startswith("Message{") and name.endswith("}.xml")
    uuid.UUID(name[len("Message{") : -len("}.xml")])
    payload = zip_message(lambda out: out.write(b"<Message/>"), name, compresslevel=9)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert archive.namelist() == [name]


def test_ib_parameters_list_every_version_we_support(shop: Shop) -> None:
    """Issue 9 §6: one row per version × object, as SSL31 ОбменДаннымиXDTOСервер.ПоддерживаемыеОбъектыФормата."""
    params = shop.gateway.infobase_parameters("kassa", dm.PLAN, NODE)
    assert {row.version for row in params.supported_objects} == set(ProtocolOptions().supported_format_versions)
    per_version = {row.object_name for row in params.supported_objects if row.version == "1.8"}
    assert per_version == {t.name for t in our_object_types()}


def test_the_demo_organizations_tax_system_agrees_with_its_goods_vat(shop: Shop) -> None:
    """Issue 9 §9: ОСН with 10/20 % goods (УСН would sell «Без НДС»)."""
    from kassa_server.models.enums import TaxSystem, VatRate

    with shop.sessions() as session:
        org = session.scalars(select(Organization)).first()
        rates = set(session.scalars(select(Product.vat_rate).distinct()))
    assert org is not None
    if org.tax_system == TaxSystem.GENERAL:
        assert VatRate.NONE not in rates
    else:
        assert rates == {VatRate.NONE}
    assert org.tax_system == TaxSystem.GENERAL


def test_a_received_no_beyond_what_we_sent_acknowledges_all_we_sent(shop: Shop) -> None:
    """Issue 9 §4: SSL31 ОбменДаннымиXDTOСервер.ОбработатьПолучениеПодтвержденияОтКорреспондента deletes the change
    registrations up to ReceivedNo: everything sent counts as delivered, nothing is reported, the Body is applied."""
    sent = _sync(shop)
    outcome = shop.upload(
        _head(shop, 1, received=sent + 5),
        [dm.sale(_register_key(shop), _item_key(shop, "Молоко 3,2% 1 л"), amount="1.00")],
    )
    assert outcome.warnings == ()
    head, objects = shop.download_objects()
    # the first message was acknowledged: nothing is sent again, only the stock the sale moved (issue 17)
    assert (head.received_no, [type(o).__name__ for o in objects]) == (1, ["StockSnapshot"])


def test_the_same_receipt_twice_in_one_message_is_stored_once(shop: Shop) -> None:
    receipt = dm.sale(_register_key(shop), _item_key(shop, "Молоко 3,2% 1 л"), amount="1.00")
    again = dm.sale(_register_key(shop), _item_key(shop, "Молоко 3,2% 1 л"), amount="2.00", ref=receipt.ref)
    shop.upload(_head(shop, 1), [receipt, again])
    with shop.sessions() as session:
        assert [r.amount for r in session.scalars(select(Receipt))] == [Decimal("2.00")]  # the later copy wins


def test_a_customer_sent_alone_and_inside_an_order_is_stored_once(shop: Shop) -> None:
    """Issue 14 §14: the row made for the first copy is found for the second, without a flush in between."""
    register = _register_key(shop)
    customer = ed.Counterparty(ref=uuid.uuid4(), name="Петрова", legal_form=ed.LegalForm.INDIVIDUAL)
    order = _device_order(register, [_line(1, _item_key(shop, "Молоко 3,2% 1 л"), "89.90")], counterparty=customer)
    shop.upload(_head(shop, 1), [customer, order])
    with shop.sessions() as session:
        assert session.scalar(select(func.count()).where(Counterparty.ref == customer.ref)) == 1
