"""Issue 17 on the wire: terminals, product kinds and characteristics, stock on hand and discount cards go down in the
order of mobile-kassa.md §7.1, valid in every version; receipts keep their terminal, card and characteristics and
move the stock, once per receipt (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server import enterprisedata as ed
from kassa_server.admin import cards, stock, terminals
from kassa_server.admin.demo import (
    DEMO_CARDS,
    DEMO_FACTORY_NUMBER,
    DEMO_SIZE_STOCK,
    DEMO_STOCK,
    DEMO_TERMINAL,
)
from kassa_server.admin.devices import set_device
from kassa_server.admin.organizations import OrganizationInput, StoreInput, create_organization, create_store
from kassa_server.admin.reports import receipt_rows
from kassa_server.enterprisedata.schema import validator
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import (
    AcquiringTerminal,
    CashRegister,
    Characteristic,
    CustomerOrder,
    DiscountCard,
    ExchangeNode,
    Infobase,
    Product,
    Receipt,
    StockBalance,
    StockMovement,
    Tombstone,
)
from kassa_server.models.enums import OrderStatus, ProductKind
from kassa_server.settings import ProtocolOptions, Settings
from tests.exchange import device_messages as dm
from tests.exchange.demo_shop import demo_shop

NODE = DEMO_FACTORY_NUMBER
DEMO_STORE = "Магазин на Садовой"
SHOES = "Кроссовки беговые"


@dataclass
class Shop:
    sessions: sessionmaker[Session]
    gateway: DatabaseExchangeGateway
    own_code: str

    def raw(self) -> bytes:
        out = io.BytesIO()
        self.gateway.export_message("kassa", dm.PLAN, NODE, out)
        return out.getvalue()

    def download(self) -> list[object]:
        return list(ed.read_message(io.BytesIO(self.raw())))

    def upload(self, message_no: int, received_no: int, objects: list[object] = ()):  # type: ignore[no-untyped-def,assignment]
        head = dm.header("1.21", from_code=NODE, to_code=self.own_code, message_no=message_no, received_no=received_no)
        return self.gateway.import_message("kassa", dm.PLAN, NODE, dm.message(head, objects))

    def use_version(self, version: str) -> None:
        with self.sessions.begin() as session:
            node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
            node.format_version = version
            if version == "1.7":  # СостояниеЗаказа does not exist in 1.7: keep this device's orders out of it
                for order in session.scalars(select(CustomerOrder)):
                    order.cash_register_id = None


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    with demo_shop(db_url) as demo:
        yield Shop(demo.sessions, demo.gateway, demo.own_code)


def _first(objects: list[object], cls: type) -> int:
    return next(i for i, o in enumerate(objects) if isinstance(o, cls))


def test_first_download_follows_section_7_1_with_only_the_devices_store(shop: Shop) -> None:
    with shop.sessions.begin() as session:  # a terminal of another store must not reach this device
        infobase = session.scalars(select(Infobase)).one()
        create_store(session, infobase, StoreInput(name="Склад на окраине"))
        terminals.add_terminal(session, infobase, terminals.TerminalInput(number="99999", store="Склад на окраине"))
    objects = shop.download()
    order = [
        _first(objects, cls)
        for cls in (
            ed.Organization,
            ed.Warehouse,
            ed.CashRegister,
            ed.PriceType,
            ed.Person,
            ed.AcquiringTerminal,
            ed.Unit,
            ed.ItemGroup,
            ed.ItemKind,
            ed.ItemCharacteristic,
            ed.Item,
            ed.Barcode,
            ed.PriceList,
            ed.StockSnapshot,
            ed.DiscountCard,
            ed.Counterparty,
            ed.CustomerOrder,
            ed.OrderState,
        )
    ]
    assert order == sorted(order)
    terminals_sent = [o for o in objects if isinstance(o, ed.AcquiringTerminal)]
    assert [t.number for t in terminals_sent] == [DEMO_TERMINAL]
    assert terminals_sent[0].acquirer is not None and terminals_sent[0].acquirer.name == "ПАО «Банк»"
    cards = {c.number: c for c in objects if isinstance(c, ed.DiscountCard)}
    assert set(cards) == {number for number, *_, active in DEMO_CARDS if active}  # 1.8 has no Статус: no cancelled
    assert cards["2000000000015"].owner_counterparty is not None  # 1.8: an owner is required,
    assert cards["2000000000022"].owner_counterparty is not None  # so an ownerless card gets its holder
    shoes = next(o for o in objects if isinstance(o, ed.Item) and o.name == SHOES)
    assert shoes.kind is not None and shoes.kind.name == "Обувь"
    sizes = [o for o in objects if isinstance(o, ed.ItemCharacteristic)]
    assert sorted(s.name or "" for s in sizes) == ["40", "41", "42", "43"]
    assert all(s.owner_item is not None and s.owner_item.ref == shoes.ref for s in sizes)
    sized = [
        b for b in objects if isinstance(b, ed.Barcode) and b.records[0].goods and b.records[0].goods.characteristic
    ]
    assert len(sized) == 4
    (snapshot,) = [o for o in objects if isinstance(o, ed.StockSnapshot)]
    assert snapshot.warehouse is not None and snapshot.warehouse.name == "Магазин на Садовой"
    size_names = {s.ref: s.name for s in sizes}  # a key block carries НаименованиеПолное, not Наименование
    by_size = {
        size_names[r.goods.characteristic.ref]: r.quantity
        for r in snapshot.rows
        if r.goods is not None and r.goods.characteristic is not None
    }
    assert by_size == dict.fromkeys(["40", "41", "42", "43"], DEMO_SIZE_STOCK)


@pytest.mark.parametrize("version", dm.APP_VERSIONS)
def test_every_new_object_is_valid_in_every_version(shop: Shop, version: str) -> None:
    shop.use_version(version)
    root = etree.fromstring(shop.raw().removeprefix(b"\xef\xbb\xbf"))
    schema = validator(version)
    names = set()
    for element in root[1]:
        assert schema.validate(element), (version, schema.error_log)
        names.add(etree.QName(element).localname)
    expected = {
        "Справочник.ЭквайринговыеТерминалы",
        "Справочник.ВидыНоменклатуры",
        "Справочник.ХарактеристикиНоменклатуры",
        "Справочник.ИнформативныеОстатки",
        "Справочник.ДисконтныеКарты",
    }
    assert expected <= names
    text = shop.raw().decode("utf-8-sig")
    assert ("<Эквайрер>" in text) == (version not in {"1.7", "1.8", "1.10"})
    assert ("<Эквайер>" in text) == (version in {"1.7", "1.8", "1.10"})
    assert ("<ДоговорЭквайрера>" in text) == (version not in {"1.7", "1.8", "1.10"})
    assert ("<Статус>Аннулирована</Статус>" in text) == (version in {"1.19", "1.20", "1.21"})


def _keys(shop: Shop) -> tuple[ed.CashRegister, ed.Item, ed.ItemCharacteristic, ed.AcquiringTerminal, ed.DiscountCard]:
    with shop.sessions() as session:
        register = session.scalars(select(CashRegister).where(CashRegister.factory_number == NODE)).one()
        org = ed.Organization(
            ref=register.organization.ref, name=register.organization.name, legal_form=ed.LegalForm.INDIVIDUAL
        )
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        size = session.scalars(
            select(Characteristic).where(Characteristic.product_id == shoes.id, Characteristic.name == "42")
        ).one()
        terminal = session.scalars(select(AcquiringTerminal)).one()
        card = session.scalars(select(DiscountCard).where(DiscountCard.number == "2000000000015")).one()
        item = ed.Item(ref=shoes.ref, name=shoes.name)
        return (
            dm.register_key(register.ref, NODE, org),
            item,
            ed.ItemCharacteristic(ref=size.ref, owner_item=item, full_name=size.full_name, name=size.name),
            ed.AcquiringTerminal(ref=terminal.ref, number=terminal.number),
            ed.DiscountCard(ref=card.ref, number=card.number),
        )


def _size_stock(shop: Shop, size: str = "42") -> Decimal:
    with shop.sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        return stock.get_stock(session, infobase, None, shoes.ref, size)


def test_receipts_keep_terminal_card_and_characteristic_and_move_stock_once(shop: Shop) -> None:
    register, item, size, terminal, card = _keys(shop)
    sale = dm.sale(register, item, amount="6980.00", card=True)
    sale.sales[0].quantity = Decimal(2)
    sale.sales[0].goods = ed.GoodsData(item=item, characteristic=size)
    sale.card_payments[0].terminal = terminal
    sale.loyalty_card = card
    shop.download()
    shop.upload(1, 1, [sale])
    assert _size_stock(shop) == DEMO_SIZE_STOCK - 2
    shop.upload(2, 1, [sale])  # the same receipt again (a retry): counted once
    assert _size_stock(shop) == DEMO_SIZE_STOCK - 2
    assert _size_stock(shop, "41") == DEMO_SIZE_STOCK
    refund = dm.refund(register, item, sale, amount="3490.00")
    refund.returns[0].goods = ed.GoodsData(item=item, characteristic=size)
    shop.upload(3, 1, [refund])
    assert _size_stock(shop) == DEMO_SIZE_STOCK - 1

    with shop.sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        stored = session.scalars(select(Receipt).where(Receipt.ref == sale.ref)).one()
        assert stored.discount_card_id is not None and stored.discount_card_number == "2000000000015"
        assert stored.lines[0].characteristic_id is not None and stored.lines[0].characteristic_name == "42"
        assert stored.payments[0].terminal_id is not None and stored.payments[0].terminal_number == DEMO_TERMINAL
        row = next(r for r in receipt_rows(session, infobase, factory_number=NODE) if r["ref"] == str(sale.ref))
    assert row["discount_card"] == "2000000000015" and row["discount_card_ref"] == str(card.ref)
    assert row["lines"][0]["characteristic"] == "42"
    assert row["payments"][0]["terminal"] == DEMO_TERMINAL

    objects = shop.download()  # the stock the receipts moved goes down again, to the sender too
    (snapshot,) = [o for o in objects if isinstance(o, ed.StockSnapshot)]
    moved = next(
        r for r in snapshot.rows if r.goods and r.goods.characteristic and r.goods.characteristic.ref == size.ref
    )
    assert moved.quantity == DEMO_SIZE_STOCK - 1


def test_one_receipt_moves_each_size_of_a_product_on_its_own_balance(shop: Shop) -> None:
    register, item, size, _, _ = _keys(shop)
    with shop.sessions() as session:
        other = session.scalars(select(Characteristic).where(Characteristic.name == "41")).one()
        size_41 = ed.ItemCharacteristic(ref=other.ref, owner_item=item, full_name=other.full_name, name=other.name)
    sale = dm.sale(register, item, amount="10470.00")
    first = sale.sales[0]
    first.quantity = Decimal(2)
    first.goods = ed.GoodsData(item=item, characteristic=size)
    second = ed.ReceiptGoodsRow(
        line_no=2,
        goods=ed.GoodsData(item=item, characteristic=size_41),
        quantity=Decimal(1),
        amount=first.price,
        price=first.price,
    )
    sale.sales.append(second)
    shop.download()
    shop.upload(1, 1, [sale])  # the balances are looked up together for the receipt, each size keeps its own
    assert (_size_stock(shop), _size_stock(shop, "41")) == (DEMO_SIZE_STOCK - 2, DEMO_SIZE_STOCK - 1)
    assert _size_stock(shop, "43") == DEMO_SIZE_STOCK
    shop.upload(2, 1, [sale])  # sent again: counted once
    assert (_size_stock(shop), _size_stock(shop, "41")) == (DEMO_SIZE_STOCK - 2, DEMO_SIZE_STOCK - 1)


MILK = "Молоко 3,2% 1 л"


def _goods(shop: Shop, count: int) -> list[ed.Item]:
    """``count`` goods of the demo (no sizes, stock ``DEMO_STOCK`` each), the shoes left out."""
    with shop.sessions() as session:
        products = session.scalars(
            select(Product)
            .where(Product.kind == ProductKind.GOODS, Product.name != SHOES)
            .order_by(Product.id)
            .limit(count)
        ).all()
        assert len(products) == count
        return [ed.Item(ref=p.ref, name=p.name) for p in products]


def _stock_of(shop: Shop, item: ed.Item) -> Decimal:
    with shop.sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        assert item.ref is not None
        return stock.get_stock(session, infobase, None, item.ref)


def _line(item: ed.Item, quantity: int, size: ed.ItemCharacteristic | None = None) -> ed.ReceiptGoodsRow:
    return ed.ReceiptGoodsRow(
        goods=ed.GoodsData(item=item, characteristic=size),
        quantity=Decimal(quantity),
        amount=Decimal("10.00") * quantity,
        price=Decimal("10.00"),
    )


def _sale(register: ed.CashRegister, *lines: ed.ReceiptGoodsRow, cancelled: bool = False) -> ed.Receipt:
    sale = dm.sale(register, lines[0].goods.item, amount="10.00")  # type: ignore[union-attr]
    sale.sales = [copy.copy(line) for line in lines]
    for number, line in enumerate(sale.sales, start=1):
        line.line_no = number
    sale.cancelled = cancelled or None
    return sale


def test_a_message_of_many_receipts_moves_each_ones_stock_exactly_once(shop: Shop) -> None:
    """The stock of a message's receipts moves together at its end: each receipt still counts once, as its last
    version says; a cancelled one moves nothing, one sent again first undoes what it moved, each size on its own."""
    register, shoes, size_42, _, _ = _keys(shop)
    with shop.sessions() as session:
        other = session.scalars(select(Characteristic).where(Characteristic.name == "41")).one()
        size_41 = ed.ItemCharacteristic(ref=other.ref, owner_item=shoes, full_name=other.full_name, name=other.name)
    milk = _item_key_of(shop, MILK)
    bread = next(item for item in _goods(shop, 2) if item.ref != milk.ref)
    a = _sale(register, _line(milk, 2))
    b = _sale(register, _line(milk, 1), _line(shoes, 1, size_42), _line(shoes, 2, size_41))  # two sizes of one
    c = _sale(register, _line(milk, 5), cancelled=True)
    d = _sale(register, _line(milk, 3), _line(bread, 1))
    d_again = copy.copy(d)  # the same receipt later in the same message, edited: only this version counts
    d_again.sales = [_line(milk, 4)]
    refund = dm.refund(register, milk, a, amount="10.00")  # one back
    shop.upload(1, 0, [a, b, c, d, d_again, refund])
    assert _stock_of(shop, milk) == DEMO_STOCK - 2 - 1 - 4 + 1
    assert _stock_of(shop, bread) == DEMO_STOCK  # d's first version is gone whole
    assert (_size_stock(shop), _size_stock(shop, "41")) == (DEMO_SIZE_STOCK - 1, DEMO_SIZE_STOCK - 2)

    b_cancelled = copy.copy(b)
    b_cancelled.cancelled = True
    c_kept = copy.copy(c)
    c_kept.cancelled = None
    e = _sale(register, _line(milk, 1), _line(shoes, 3, size_42))
    shop.upload(2, 0, [a, b_cancelled, c_kept, e])  # a again as it was; b cancelled now, c no longer
    assert _stock_of(shop, milk) == DEMO_STOCK - 2 - 4 + 1 - 5 - 1
    assert (_size_stock(shop), _size_stock(shop, "41")) == (DEMO_SIZE_STOCK - 3, DEMO_SIZE_STOCK)
    assert _stock_of(shop, bread) == DEMO_STOCK

    with shop.sessions() as session:
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        moved_balances = session.scalars(select(StockBalance).where(StockBalance.origin_node_id.is_not(None))).all()
        assert len(moved_balances) == 3 and {b.origin_node_id for b in moved_balances} == {node.id}  # not bread
        stored = {r.ref: r.id for r in session.scalars(select(Receipt))}
        assert sorted(stored) == sorted(r.ref for r in (a, b, c, d, refund, e))  # each stored once
        moved = dict(
            session.execute(
                select(StockMovement.receipt_id, func.sum(StockMovement.quantity)).group_by(StockMovement.receipt_id)
            ).all()
        )
    assert {ref: moved.get(stored[ref]) for ref in stored} == {
        a.ref: Decimal(-2),
        b.ref: None,
        c.ref: Decimal(-5),
        d.ref: Decimal(-4),
        refund.ref: Decimal(1),
        e.ref: Decimal(-4),
    }


def test_a_receipt_sent_again_keeps_only_its_last_lines_payments_and_marks(shop: Shop) -> None:
    """The rows of a receipt's lines, payments and marks are written together at the end of a batch; a receipt sent
    again (in a later message, or twice in one) keeps exactly its last version's rows and stock."""
    register, _shoes, _size, terminal, _card = _keys(shop)
    milk = _item_key_of(shop, MILK)
    bread = next(item for item in _goods(shop, 2) if item.ref != milk.ref)
    first = _sale(register, _line(milk, 1), _line(bread, 2))
    first.marking_codes = [ed.MarkingCodeRow(line_no=1, goods=ed.GoodsData(item=milk), code="A")]
    shop.upload(1, 0, [first])
    assert (_stock_of(shop, milk), _stock_of(shop, bread)) == (DEMO_STOCK - 1, DEMO_STOCK - 2)

    draft = _sale(register, _line(bread, 7))
    draft.ref = first.ref
    final = _sale(register, _line(milk, 3))
    final.ref = first.ref
    final.payments = [ed.PaymentRow(amount=Decimal("30.00"), payment_type=ed.PaymentType.ELECTRONIC)]
    final.card_payments = [ed.CardPaymentRow(amount=Decimal("30.00"), rrn="000000000042", terminal=terminal)]
    final.marking_codes = [
        ed.MarkingCodeRow(line_no=1, goods=ed.GoodsData(item=milk), code=code) for code in ("B", "C")
    ]
    shop.upload(2, 0, [draft, final])
    assert (_stock_of(shop, milk), _stock_of(shop, bread)) == (DEMO_STOCK - 3, DEMO_STOCK)
    with shop.sessions() as session:
        (stored,) = session.scalars(select(Receipt)).all()
        assert [(line.line_no, line.product_ref, line.quantity) for line in stored.lines] == [(1, milk.ref, 3)]
        assert [(p.kind.value, p.amount, p.rrn, p.terminal_id is not None) for p in stored.payments] == [
            ("card", Decimal("30.00"), "000000000042", True)
        ]
        assert sorted(m.code for m in stored.marking_codes) == ["B", "C"]
        assert [m.quantity for m in stored.stock_movements] == [Decimal(-3)]


def _item_key_of(shop: Shop, name: str) -> ed.Item:
    with shop.sessions() as session:
        product = session.scalars(select(Product).where(Product.name == name)).one()
        return ed.Item(ref=product.ref, name=product.name)


LOOK_UPS = re.compile(
    r"FROM (products|characteristics|discount_cards|acquiring_terminals|stock_balances|stock_movements|receipts)\b"
    r"|^(INSERT INTO|DELETE FROM) stock_movements\b|^SELECT infobases\.id\s+FROM infobases .*FOR"
)


def test_a_message_looks_up_and_locks_once_however_many_receipts_it_carries(shop: Shop) -> None:
    """What a message's receipts name (goods, sizes, cards, terminals, the receipts themselves) is looked up with a
    query a kind, and their stock moves with one look-up, one lock and one insert: the same statements for 2
    receipts as for 8, each receipt of other goods."""
    register, shoes, size_42, terminal, card = _keys(shop)
    goods = _goods(shop, 16)
    engine = shop.sessions.kw["bind"]
    counted: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        text = " ".join(statement.split())
        if LOOK_UPS.search(text):
            counted.append(LOOK_UPS.search(text).group(0))  # type: ignore[union-attr]

    def message_of(items: list[ed.Item]) -> list[object]:
        receipts: list[object] = []
        for item in items:
            sale = _sale(register, _line(item, 1), _line(shoes, 1, size_42))
            sale.sales[1].price = sale.sales[0].price
            sale.loyalty_card = card
            sale.payments = [ed.PaymentRow(amount=Decimal("20.00"), payment_type=ed.PaymentType.ELECTRONIC)]
            sale.card_payments = [ed.CardPaymentRow(amount=Decimal("20.00"), terminal=terminal)]
            receipts.append(sale)
        return receipts

    event.listen(engine, "before_cursor_execute", count)
    try:
        shop.upload(1, 0, message_of(goods[:2]))
        two = sorted(counted)
        counted.clear()
        shop.upload(2, 0, message_of(goods[2:10]))
        eight = sorted(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert eight == two
    assert two.count("FROM products") == 1 and two.count("FROM stock_balances") == 2  # the look-up, the lock
    assert two.count("INSERT INTO stock_movements") == 1
    assert _stock_of(shop, goods[9]) == DEMO_STOCK - 1
    assert _size_stock(shop) == DEMO_SIZE_STOCK - 10


def test_edits_and_deletions_reach_the_device(shop: Shop) -> None:
    shop.download()
    shop.upload(1, 1)  # acknowledges the first download
    assert shop.download() == []
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        terminal_ref = terminals.get_terminal(session, infobase, DEMO_TERMINAL).ref
        terminals.delete_terminal(session, infobase, DEMO_TERMINAL)
        card = session.scalars(select(DiscountCard).where(DiscountCard.number == "2000000000022")).one()
        card.active = False
        size = session.scalars(select(Characteristic).where(Characteristic.name == "43")).one()
        size_ref = size.ref
        session.delete(size)
    objects = shop.download()
    deletions = {(o.target_type, o.ref) for o in objects if isinstance(o, ed.Deletion)}
    assert deletions == {(ed.AcquiringTerminal, terminal_ref), (ed.ItemCharacteristic, size_ref)}
    cards = [o for o in objects if isinstance(o, ed.DiscountCard)]
    assert [c.number for c in cards] == ["2000000000022"]
    (snapshot,) = [o for o in objects if isinstance(o, ed.StockSnapshot)]  # the size's stock went with it
    sizes = {r.goods.characteristic.ref for r in snapshot.rows if r.goods and r.goods.characteristic}
    assert len(sizes) == 3 and size_ref not in sizes


def test_a_terminal_of_another_organization_stays_away(shop: Shop) -> None:
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        create_organization(session, infobase, OrganizationInput(name="ООО Другая"))
        terminals.add_terminal(session, infobase, terminals.TerminalInput(number="777", organization="ООО Другая"))
    numbers = [o.number for o in shop.download() if isinstance(o, ed.AcquiringTerminal)]
    assert numbers == [DEMO_TERMINAL]


def test_unknown_references_are_kept_as_sent(shop: Shop) -> None:
    register, item, _size, _terminal, _card = _keys(shop)
    sale = dm.sale(register, item, amount="3490.00", card=True)
    stranger = uuid.uuid4()
    sale.sales[0].goods = ed.GoodsData(
        item=item, characteristic=ed.ItemCharacteristic(ref=stranger, owner_item=item, full_name="44", name="44")
    )
    sale.card_payments[0].terminal = ed.AcquiringTerminal(ref=uuid.uuid4(), number="T-404")
    sale.loyalty_card = ed.DiscountCard(ref=uuid.uuid4(), number="0000")
    shop.upload(1, 0, [sale])
    with shop.sessions() as session:
        stored = session.scalars(select(Receipt).where(Receipt.ref == sale.ref)).one()
        assert (stored.discount_card_id, stored.discount_card_number) == (None, "0000")
        assert (stored.lines[0].characteristic_id, stored.lines[0].characteristic_ref) == (None, stranger)
        assert (stored.payments[0].terminal_id, stored.payments[0].terminal_number) == (None, "T-404")


def test_orders_keep_and_send_the_characteristic_of_their_lines(shop: Shop) -> None:
    register, item, size, _terminal, _card = _keys(shop)
    made_on_device = ed.CustomerOrder(
        ref=uuid.uuid4(),
        number="М-1",
        date=dt.datetime(2026, 11, 30, 12, 0, 0),
        currency=ed.Currency(code="643", name="руб."),
        counterparty=ed.Counterparty(ref=uuid.uuid4(), name="Покупатель", legal_form=ed.LegalForm.INDIVIDUAL),
        organization=register.organization,
        amount=Decimal("3490"),
        goods=[
            ed.OrderGoodsRow(
                line_no=1,
                goods=ed.GoodsData(item=item, characteristic=size),
                quantity=Decimal(1),
                amount=Decimal("3490"),
                price=Decimal("3490"),
            )
        ],
    )
    shop.upload(1, 0, [made_on_device])
    with shop.sessions.begin() as session:
        order = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == made_on_device.ref)).one()
        assert order.lines[0].characteristic_id is not None
        order.status = OrderStatus.AGREED  # in the device filter: it goes down with its size
    sent = next(o for o in shop.download() if isinstance(o, ed.CustomerOrder) and o.ref == made_on_device.ref)
    assert sent.goods[0].goods is not None and sent.goods[0].goods.characteristic is not None
    assert sent.goods[0].goods.characteristic.ref == size.ref


def _acknowledged(shop: Shop) -> int:
    """Download everything and acknowledge it; returns the next upload's message number."""
    shop.download()
    shop.upload(1, 1)
    assert shop.download() == []
    return 2


def _sent_no(shop: Shop) -> int:
    with shop.sessions() as session:
        return session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one().sent_no


def test_a_terminal_that_leaves_the_devices_store_or_organization_is_deleted_there(shop: Shop) -> None:
    message_no = _acknowledged(shop)
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        create_store(session, infobase, StoreInput(name="Склад на окраине"))
        terminal_ref = terminals.set_terminal(
            session, infobase, DEMO_TERMINAL, terminals.TerminalInput(store="Склад на окраине")
        ).ref
    objects = shop.download()
    assert [(type(o), o.ref) for o in objects] == [(ed.Deletion, terminal_ref)]
    assert objects[0].target_type is ed.AcquiringTerminal
    shop.upload(message_no, _sent_no(shop))

    with shop.sessions.begin() as session:  # back in the device's store: the terminal again, no deletion
        infobase = session.scalars(select(Infobase)).one()
        terminals.set_terminal(session, infobase, DEMO_TERMINAL, terminals.TerminalInput(store=DEMO_STORE))
    objects = shop.download()
    assert [type(o) for o in objects] == [ed.AcquiringTerminal] and objects[0].ref == terminal_ref
    shop.upload(message_no + 1, _sent_no(shop))

    with shop.sessions.begin() as session:  # given to another organization of the same store
        infobase = session.scalars(select(Infobase)).one()
        create_organization(session, infobase, OrganizationInput(name="ООО Другая"))
        terminals.set_terminal(session, infobase, DEMO_TERMINAL, terminals.TerminalInput(organization="ООО Другая"))
    assert [(type(o), o.ref) for o in shop.download()] == [(ed.Deletion, terminal_ref)]


def test_a_terminal_moved_twice_in_one_window_is_not_deleted_where_it_ends(shop: Shop) -> None:
    _acknowledged(shop)
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        create_store(session, infobase, StoreInput(name="Склад на окраине"))
        terminals.set_terminal(session, infobase, DEMO_TERMINAL, terminals.TerminalInput(store="Склад на окраине"))
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        terminals.set_terminal(session, infobase, DEMO_TERMINAL, terminals.TerminalInput(store=DEMO_STORE))
    assert [type(o) for o in shop.download()] == [ed.AcquiringTerminal]


def test_a_card_given_to_another_organization_is_deleted_on_the_devices_of_this_one(shop: Shop) -> None:
    message_no = _acknowledged(shop)
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        create_organization(session, infobase, OrganizationInput(name="ООО Другая"))
        card_ref = cards.set_card(
            session, infobase, cards.CardInput(number="2000000000022", organization="ООО Другая")
        ).ref
        with_scope = session.scalars(select(Tombstone).where(Tombstone.ref == card_ref)).one()
        assert with_scope.scoped and with_scope.scope_organization_id is None  # it was valid in every organization
    assert [(type(o), o.ref) for o in shop.download()] == [(ed.Deletion, card_ref)]
    shop.upload(message_no, _sent_no(shop))
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        cards.set_card(session, infobase, cards.CardInput(number="2000000000022", organization=""))
    assert [(type(o), o.ref) for o in shop.download()] == [(ed.DiscountCard, card_ref)]


def _age_stock_snapshot(shop: Shop, hours: int) -> None:
    with shop.sessions.begin() as session:
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        assert node.stock_sent_at is not None  # the first download carried the snapshot
        node.stock_sent_at -= dt.timedelta(hours=hours)


def test_the_stock_snapshot_goes_again_once_the_last_one_is_older_than_the_setting(shop: Shop) -> None:
    _acknowledged(shop)
    _age_stock_snapshot(shop, 23)
    assert shop.download() == []  # under a day (the default): nothing due
    _age_stock_snapshot(shop, 2)
    (snapshot,) = shop.download()
    assert isinstance(snapshot, ed.StockSnapshot) and snapshot.date == dt.datetime.now(dt.UTC).date()
    assert any(r.quantity == DEMO_SIZE_STOCK for r in snapshot.rows)
    assert shop.download() == []  # sent just now


def test_with_the_refresh_off_the_stock_goes_only_after_a_change(shop: Shop, db_url: str) -> None:
    off = DatabaseExchangeGateway(
        shop.sessions, Settings(database_url=db_url, protocol=ProtocolOptions(stock_refresh_minutes=0))
    )
    shop.gateway = off
    _acknowledged(shop)
    _age_stock_snapshot(shop, 24 * 30)
    assert shop.download() == []
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        stock.set_stock(session, infobase, None, shoes.ref, Decimal(7), characteristic="41")
    (snapshot,) = shop.download()
    assert isinstance(snapshot, ed.StockSnapshot)


@pytest.mark.parametrize("version", ["1.8", "1.21"])
def test_a_device_moved_to_another_store_gets_its_terminals_and_stock_and_loses_the_old_ones(
    shop: Shop, version: str
) -> None:
    message_no = _acknowledged(shop)
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        old_ref = terminals.get_terminal(session, infobase, DEMO_TERMINAL).ref
        create_store(session, infobase, StoreInput(name="Склад на окраине"))
        new_ref = terminals.add_terminal(
            session, infobase, terminals.TerminalInput(number="99999", store="Склад на окраине")
        ).ref
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        stock.set_stock(session, infobase, "Склад на окраине", shoes.ref, Decimal(3), characteristic="40")
    assert shop.download() == []  # another store's terminal and stock: not this device's
    shop.upload(message_no, _sent_no(shop))

    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        set_device(session, infobase, NODE, store="Склад на окраине")
    shop.use_version(version)
    raw = shop.raw()
    schema = validator(version)
    for element in etree.fromstring(raw.removeprefix(b"\xef\xbb\xbf"))[1]:  # the emptied snapshot too
        assert schema.validate(element), (version, schema.error_log)
    objects = list(ed.read_message(io.BytesIO(raw)))
    assert [o.ref for o in objects if isinstance(o, ed.AcquiringTerminal)] == [new_ref]
    emptied, snapshot = [o for o in objects if isinstance(o, ed.StockSnapshot)]
    assert emptied.warehouse is not None and emptied.warehouse.name == DEMO_STORE and emptied.rows == []
    assert [r.quantity for r in snapshot.rows] == [Decimal(3)]
    assert snapshot.warehouse is not None and snapshot.warehouse.name == "Склад на окраине"
    assert [(o.target_type, o.ref) for o in objects if isinstance(o, ed.Deletion)] == [(ed.AcquiringTerminal, old_ref)]
    shop.upload(message_no + 1, _sent_no(shop))
    assert shop.download() == []  # acknowledged: the move is not sent again


def test_before_1_19_a_cancelled_card_is_not_sent_and_one_cancelled_later_is_deleted(shop: Shop) -> None:
    shop.use_version("1.10")
    first = shop.download()
    numbers = {o.number for o in first if isinstance(o, ed.DiscountCard)}
    assert numbers == {"2000000000015", "2000000000022"}  # 2000000000039 is cancelled in the demo
    shop.upload(1, 1)
    shop.use_version("1.10")  # the upload's header declared 1.21
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        ref = cards.set_card(session, infobase, cards.CardInput(number="2000000000022", active=False)).ref
    assert [(type(o), o.ref) for o in shop.download()] == [(ed.Deletion, ref)]
    shop.upload(2, _sent_no(shop))
    shop.use_version("1.10")
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        cards.set_card(session, infobase, cards.CardInput(number="2000000000022", active=True))
    assert [(type(o), o.ref) for o in shop.download()] == [(ed.DiscountCard, ref)]
