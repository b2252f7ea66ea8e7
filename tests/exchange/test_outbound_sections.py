"""The outbound message asks the database only about sections that have something in the node's window (one probe
statement tells which), looks up product kinds and characteristics for the goods, barcodes and orders in the stream
only, and reads the groups again only when they changed; what the device receives stays what every section would
send if each were queried (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server import enterprisedata as ed
from kassa_server.admin import stock
from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, DEMO_TERMINAL
from kassa_server.admin.devices import set_device
from kassa_server.admin.organizations import StoreInput, create_store
from kassa_server.exchange import outbound, retail
from kassa_server.exchange.clock import utc_now
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import (
    AcquiringTerminal,
    Barcode,
    CashRegister,
    Characteristic,
    Counterparty,
    CustomerOrder,
    DiscountCard,
    ExchangeNode,
    Infobase,
    ItemKind,
    NodeOrder,
    Organization,
    Price,
    Product,
    ProductGroup,
    Unit,
    User,
)
from kassa_server.models.enums import UserRole
from tests.exchange import device_messages as dm
from tests.exchange.demo_shop import demo_shop

NODE = DEMO_FACTORY_NUMBER
SHOES = "Кроссовки беговые"
SECTION_TABLES = (
    "users",
    "units",
    "product_groups",
    "products",
    "barcodes",
    "prices",
    "price_types",
    "counterparties",
    "customer_orders",
    "order_lines",
    "item_kinds",
    "characteristics",
    "acquiring_terminals",
    "discount_cards",
    "stock_balances",
    "tombstones",
)
"""What the sections read; a message with nothing in its window reads none of them (the probe aside)."""


@dataclass
class Shop:
    engine: Engine
    sessions: sessionmaker[Session]
    gateway: DatabaseExchangeGateway
    own_code: str
    message_no: int = 1
    now: dt.datetime = field(default_factory=utc_now)
    """The clock of ``message`` (a price list is dated by it): one for every message a test compares."""

    def download(self) -> list[object]:
        out = io.BytesIO()
        self.gateway.export_message("kassa", dm.PLAN, NODE, out)
        return list(ed.read_message(io.BytesIO(out.getvalue())))

    def acknowledge(self) -> None:
        with self.sessions() as session:
            sent = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one().sent_no
        head = dm.header("1.21", from_code=NODE, to_code=self.own_code, message_no=self.message_no, received_no=sent)
        self.gateway.import_message("kassa", dm.PLAN, NODE, dm.message(head, []))
        self.message_no += 1

    def statements(self, action: Callable[[], Any]) -> tuple[Any, list[str]]:
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            result = action()
        finally:
            event.remove(self.engine, "before_cursor_execute", record)
        return result, seen

    def message(self, *, every_section: bool, monkeypatch: pytest.MonkeyPatch) -> list[object]:
        """The next message's objects, rolled back; ``every_section`` queries each section as if all had changes."""
        with monkeypatch.context() as patch:
            patch.setattr(outbound, "utc_now", lambda: self.now)
            patch.setattr(retail, "utc_now", lambda: self.now)
            if every_section:
                patch.setattr(outbound._Body, "has_changes", lambda self, *models: True)
            with self.sessions() as session, session.begin():
                infobase = session.scalars(select(Infobase)).one()
                node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
                out = io.BytesIO()
                outbound.write_outbound(session, infobase, node, self.gateway.options, out)
                session.rollback()
        return list(ed.read_message(io.BytesIO(out.getvalue())))


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    with demo_shop(db_url) as demo:
        shop = Shop(demo.engine, demo.sessions, demo.gateway, demo.own_code)
        shop.download()
        shop.acknowledge()
        yield shop


def _reads(statements: list[str], table: str) -> list[str]:
    """The statements other than the probe (``_TOUCHED``: the one naming every table) that read ``table``."""
    pattern = re.compile(rf"\b(FROM|JOIN)\s+{table}\b")
    return [s for s in statements if pattern.search(s) and "gseq" not in s]


def test_a_message_with_nothing_changed_reads_no_section(shop: Shop) -> None:
    objects, statements = shop.statements(shop.download)
    assert objects == []
    for table in SECTION_TABLES:
        assert _reads(statements, table) == [], table
    assert len([s for s in statements if "gseq" in s]) == 1  # the one probe


def test_a_stock_change_reads_the_stock_only_and_no_map_of_the_infobase(shop: Shop) -> None:
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        stock.set_stock(session, infobase, None, shoes.ref, Decimal(7), characteristic="41")
    objects, statements = shop.statements(shop.download)
    assert [type(o) for o in objects] == [ed.StockSnapshot]
    sizes = {r.goods.characteristic.ref for r in objects[0].rows if r.goods and r.goods.characteristic}
    assert len(sizes) == 4  # the snapshot's own join names the sizes
    for table in ("item_kinds", "order_lines", "barcodes", "products", "product_groups", "units", "discount_cards"):
        assert [s for s in _reads(statements, table) if "stock_balances" not in s] == [], table


def test_the_kinds_of_changed_goods_are_looked_up_for_those_goods_only(shop: Shop) -> None:
    with shop.sessions.begin() as session:
        session.scalars(select(Product).where(Product.name == SHOES)).one().article = "RUN-1"
    objects, statements = shop.statements(shop.download)
    (item,) = [o for o in objects if isinstance(o, ed.Item)]
    assert item.kind is not None and item.kind.name
    (lookup,) = _reads(statements, "item_kinds")
    assert re.search(r"products\.ref IN", lookup), lookup


def _rename(model: Any, column: str = "name", **where: Any) -> Callable[[Session], None]:
    def change(session: Session) -> None:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        row = session.scalars(query.order_by(model.id).limit(1)).one()
        setattr(row, column, f"{getattr(row, column)} (изм.)")

    return change


def _delete_terminal(session: Session) -> None:
    session.delete(session.scalars(select(AcquiringTerminal).where(AcquiringTerminal.number == DEMO_TERMINAL)).one())


def _soft_delete_product(session: Session) -> None:
    session.scalars(select(Product).where(Product.name == SHOES)).one().deleted = True


def _move_register(session: Session) -> None:
    infobase = session.scalars(select(Infobase)).one()
    create_store(session, infobase, StoreInput(name="Склад на окраине"))
    session.flush()
    set_device(session, infobase, NODE, store="Склад на окраине")


def _rename_customer_of_held_order(session: Session) -> None:
    held = session.scalars(select(NodeOrder.order_id)).all()
    assert held, "the first download holds the demo register's orders"
    order = session.get(CustomerOrder, held[0])
    assert order is not None and order.counterparty is not None
    order.counterparty.name += " (изм.)"


def _change_price(session: Session) -> None:
    price = session.scalars(select(Price).order_by(Price.id).limit(1)).one()
    price.value += Decimal("1.00")


def _touch_barcode_of_a_size(session: Session) -> None:
    barcode = session.scalars(select(Barcode).where(Barcode.characteristic_id.is_not(None)).limit(1)).one()
    barcode.value = barcode.value[:-1] + ("0" if barcode.value[-1] != "0" else "1")


def _set_stock(session: Session) -> None:
    infobase = session.scalars(select(Infobase)).one()
    shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
    stock.set_stock(session, infobase, None, shoes.ref, Decimal(3), characteristic="40")


CHANGES: dict[str, tuple[Callable[[Session], None], set[type]]] = {
    "organization": (_rename(Organization), {ed.Organization, ed.CashRegister}),
    "register": (_rename(CashRegister), {ed.CashRegister}),
    "cashier": (_rename(User, "full_name", role=UserRole.CASHIER), {ed.Person}),
    "unit": (_rename(Unit), {ed.Unit}),
    "group": (_rename(ProductGroup), {ed.ItemGroup}),
    "product": (_rename(Product, name=SHOES), {ed.Item}),
    "barcode": (_touch_barcode_of_a_size, {ed.Barcode}),
    "price": (_change_price, {ed.PriceList}),
    "kind": (_rename(ItemKind), {ed.ItemKind}),
    "characteristic": (_rename(Characteristic), {ed.ItemCharacteristic}),
    "terminal": (_rename(AcquiringTerminal), {ed.AcquiringTerminal}),
    "card": (_rename(DiscountCard, "kind", number="2000000000015"), {ed.DiscountCard}),
    "stock": (_set_stock, {ed.StockSnapshot}),
    "deletion": (_delete_terminal, {ed.Deletion}),
    "soft-deleted product": (_soft_delete_product, {ed.Deletion, ed.StockSnapshot}),
    "moved register": (_move_register, {ed.CashRegister, ed.Warehouse, ed.StockSnapshot, ed.Deletion}),
    "customer of a held order": (_rename_customer_of_held_order, {ed.Counterparty, ed.CustomerOrder}),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_in_each_section_is_sent_as_if_every_section_were_queried(
    shop: Shop, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mutate, expected = CHANGES[change]
    with shop.sessions.begin() as session:
        mutate(session)
    skipping = shop.message(every_section=False, monkeypatch=monkeypatch)
    assert skipping == shop.message(every_section=False, monkeypatch=monkeypatch)  # rolled back: the same again
    assert expected <= {type(o) for o in skipping}, [type(o) for o in skipping]
    assert skipping == shop.message(every_section=True, monkeypatch=monkeypatch)
    if change == "customer of a held order":  # the order again, with the customer's new name
        (customer,) = {o.name for o in skipping if isinstance(o, ed.Counterparty)}
        assert customer is not None and customer.endswith("(изм.)")
    if change == "soft-deleted product":
        assert any(isinstance(o, ed.Deletion) and o.target_type is ed.Item for o in skipping)


def test_the_groups_are_read_again_when_one_changed_and_not_otherwise(shop: Shop) -> None:
    def group_of_shoes(objects: list[object]) -> str | None:
        (snapshot,) = [o for o in objects if isinstance(o, ed.StockSnapshot)]
        items = [r.goods.item for r in snapshot.rows if r.goods and r.goods.item and r.goods.item.name == SHOES]
        return items[0].group.name if items[0].group is not None else None

    with shop.sessions.begin() as session:
        _set_stock(session)
    objects, statements = shop.statements(shop.download)
    assert _reads(statements, "product_groups") == []  # the groups of the earlier message, checked by the probe
    before = group_of_shoes(objects)
    assert before is not None
    shop.acknowledge()
    with shop.sessions.begin() as session:
        shoes = session.scalars(select(Product).where(Product.name == SHOES)).one()
        group = session.get(ProductGroup, shoes.group_id)
        assert group is not None
        group.name = "Обувь для бега"
        infobase = session.scalars(select(Infobase)).one()
        stock.set_stock(session, infobase, None, shoes.ref, Decimal(4), characteristic="40")
    objects, statements = shop.statements(shop.download)
    assert len(_reads(statements, "product_groups")) == 1
    assert group_of_shoes(objects) == "Обувь для бега"
    assert [o.name for o in objects if isinstance(o, ed.ItemGroup)] == ["Обувь для бега"]


def _remembered_groups(shop: Shop) -> set[int]:
    """The groups a message would use now (``_Body.groups``), the database's ids alongside."""
    with shop.sessions() as session, session.begin():
        infobase = session.scalars(select(Infobase)).one()
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        body = outbound._Body(session, infobase, node, shop.gateway.options, since=node.acked_seq, until=10**9)
        assert body.groups.keys() == set(session.scalars(select(ProductGroup.id)))
        session.rollback()
        return set(body.groups)


def test_an_added_or_deleted_group_changes_the_remembered_groups(shop: Shop) -> None:
    before = _remembered_groups(shop)
    with shop.sessions.begin() as session:  # a group nothing uses: adding or deleting it changes no other row
        infobase = session.scalars(select(Infobase)).one()
        empty = ProductGroup(infobase_id=infobase.id, name="Пустая")
        session.add(empty)
        session.flush()
        empty_id = empty.id
    assert _remembered_groups(shop) == before | {empty_id}
    with shop.sessions.begin() as session:  # another group changes after it: the latest change is not the empty one
        session.scalars(select(ProductGroup).where(ProductGroup.id != empty_id).limit(1)).one().name += " (изм.)"
    assert _remembered_groups(shop) == before | {empty_id}
    with shop.sessions.begin() as session:  # so only the count of groups tells this deletion
        session.delete(session.get(ProductGroup, empty_id))
    assert _remembered_groups(shop) == before


def test_other_counterparties_do_not_send_orders(shop: Shop) -> None:
    with shop.sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        session.add(Counterparty(infobase_id=infobase.id, name="Новый покупатель"))
    assert shop.download() == []
