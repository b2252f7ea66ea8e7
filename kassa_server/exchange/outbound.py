"""The server → device message (1C calls this ``UploadData`` / ``PrepareDataForGetting``).

Cumulative by construction: the Body carries every tracked row whose ``change_seq`` lies above the node's
acknowledged watermark, so a lost download is harmless — the next one carries it again (enterprisedata.md §4.1).
Objects come in dependency order (mobile-kassa.md §7.1); a first message is the whole catalogue.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO, cast

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from kassa_server import enterprisedata as ed
from kassa_server.exchange import retail, to_format
from kassa_server.exchange.clock import from_utc, utc_now, zone
from kassa_server.exchange.from_format import RECEIVES
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
    NodeMessage,
    NodeOrder,
    OrderLine,
    Organization,
    Price,
    PriceType,
    Product,
    ProductGroup,
    StockBalance,
    Store,
    Tombstone,
    Unit,
    User,
)
from kassa_server.models.enums import DEVICE_ORDER_STATUSES, UserRole
from kassa_server.models.infobases import DEFAULT_EXCHANGE_PLAN
from kassa_server.settings import ProtocolOptions

log = logging.getLogger(__name__)

INFOBASE_PREFIX = ""
"""The infobase prefix (``ПрефиксИнформационнойБазы``); 1С:Касса numbers without one. GetIBParameters reports it."""
PRICE_ROWS_PER_DOCUMENT = 1000
"""Prices travel in ``УстановкаЦенНоменклатуры`` documents of at most this many rows, so memory stays flat."""
STREAM_BATCH = 1000

_PRODUCT_KEY = (Product.ref, Product.name, Product.full_name, Product.code, Product.article, Product.group_id)
"""The columns ``to_format.item_key`` reads. Goods, barcodes and prices are streamed as plain rows of the columns the
to_format reads, not as ORM objects: a first message of 100k goods would otherwise build 300k instances."""
_PRODUCT_COLUMNS = (
    *_PRODUCT_KEY,
    Product.kind,
    Product.unit_id,
    Product.vat_rate,
    Product.weighed,
    Product.marked,
)
"""The columns ``to_format.item`` reads."""
_GROUP_COLUMNS = (
    ProductGroup.id,
    ProductGroup.ref,
    ProductGroup.name,
    ProductGroup.code,
    ProductGroup.parent_id,
    ProductGroup.deleted,
    ProductGroup.change_seq,
)
"""The columns of a group that ``to_format.item_group`` and ``_Body._groups`` read."""

_IB = bindparam("infobase_id", type_=Integer)
_SINCE = bindparam("since", type_=Integer)
_UNTIL = select(Infobase.change_seq).where(Infobase.id == _IB).scalar_subquery()
"""The watermark: the infobase's change sequence, read in the probe's statement (sequences are handed out in commit
order, models/tracking.py, so every row at or below it is committed)."""
_WINDOWED: tuple[Any, ...] = (
    User,
    Unit,
    ProductGroup,
    Product,
    Barcode,
    Price,
    Counterparty,
    CustomerOrder,
    ItemKind,
    Characteristic,
    AcquiringTerminal,
    DiscountCard,
    StockBalance,
    Tombstone,
)
"""Tables whose rows the sections send when they changed in the node's window (since, until]."""
_ABOVE: tuple[Any, ...] = (Organization, Store, CashRegister, PriceType)
"""The register's settings (``_Body._register_settings``) compare ``change_seq > since`` without an upper bound."""


def _has_rows(model: Any, *, bounded: bool) -> Any:
    window = [model.infobase_id == _IB, model.change_seq > _SINCE]
    if bounded:
        window.append(model.change_seq <= _UNTIL)
    return exists().where(*window).label(model.__tablename__)


_TOUCHED = select(
    _UNTIL.label("watermark"),
    *(_has_rows(model, bounded=True) for model in _WINDOWED),
    *(_has_rows(model, bounded=False) for model in _ABOVE),
    select(func.max(ProductGroup.change_seq)).where(ProductGroup.infobase_id == _IB).scalar_subquery().label("gseq"),
    select(func.count()).where(ProductGroup.infobase_id == _IB).scalar_subquery().label("gcount"),
)
"""One statement (built once, so its cache key is too) reading the watermark and telling which tables have rows in
the node's window, so a section with nothing to send costs no query, and the stamp of the groups (``_GROUPS_MEMO``).
Each ``EXISTS`` is a range on the table's ``change_seq`` index."""

_REGISTER_SCOPE = (
    select(Store, Organization)
    .select_from(CashRegister)
    .join(Store, Store.id == CashRegister.store_id)
    .join(Organization, Organization.id == CashRegister.organization_id)
    .where(CashRegister.id == bindparam("register_id", type_=Integer))
)

_GroupStamp = tuple[int | None, int]
_GROUPS_MEMO: dict[tuple[str, int, str], tuple[_GroupStamp, dict[int, ProductGroup]]] = {}
"""Every message reads every group (their key blocks name their parents): the rows are kept per database and
infobase with the stamp they were read at, ``(max(change_seq), count)``. Any committed insert or update of a group
takes a ``change_seq`` above every committed one (models/tracking.py), a delete lowers the count, so an equal stamp
read from the database in this transaction means the same rows; processes sharing the database each check. The rows
are read-only tuples of ``_GROUP_COLUMNS``, never ORM objects, so threads may share them."""
_GROUPS_MEMO_SIZE = 64


SENDS: tuple[str, ...] = (
    "Справочник.Организации",
    "Справочник.Склады",
    "Справочник.КассыККМ",
    "Справочник.ТипыЦен",
    "Справочник.ФизическиеЛица",
    "Справочник.ЕдиницыИзмерения",
    "Справочник.НоменклатураГруппа",
    "Справочник.Номенклатура",
    "Справочник.ШтрихкодыНоменклатуры",
    "Документ.УстановкаЦенНоменклатуры",
    "Справочник.Контрагенты",
    "Документ.ЗаказКлиента",
    "Справочник.СостояниеЗаказа",
    *retail.SENDS,
)
"""What we send (objects.md §2, «Emulator sends»)."""

_DELETION_TARGETS: dict[str, type[ed.CatalogObject]] = {
    "organization": ed.Organization,
    "store": ed.Warehouse,
    "cash_register": ed.CashRegister,
    "price_type": ed.PriceType,
    "unit": ed.Unit,
    "product_group": ed.ItemGroup,
    "product": ed.Item,
    "counterparty": ed.Counterparty,
    "order": ed.CustomerOrder,
    "user": ed.Person,
    **retail.DELETION_TARGETS,
}


@dataclass(frozen=True)
class OutboundSummary:
    message_no: int
    version: str
    objects: int


def our_object_types() -> list[ed.ObjectTypeSupport]:
    """``AvailableObjectTypes`` sorted by name, as SSL31
    ``ОбменДаннымиXDTOСервер.ВыгрузитьПоддерживаемыеОбъектыФормата`` sorts them (``Сортировать("Объект, Версия")``);
    ``*`` = every version we list."""
    names = sorted({*SENDS, *RECEIVES})
    return [ed.ObjectTypeSupport(name, "*" if name in SENDS else "", "*" if name in RECEIVES else "") for name in names]


def node_version(node: ExchangeNode, options: ProtocolOptions) -> str:
    return node.format_version or options.initial_format_version


def write_outbound(
    session: Session, infobase: Infobase, node: ExchangeNode, options: ProtocolOptions, out: BinaryIO
) -> OutboundSummary:
    """Write the next message for ``node`` to ``out`` and advance its numbering (the caller commits)."""
    version = node_version(node, options)
    message_no = node.sent_no + 1
    # the infobase's change sequence now (read by the body's probe, not from ``infobase``, which may be stale)
    body = _Body(session, infobase, node, options, since=node.acked_seq)
    watermark = body.until
    header = ed.Header(
        format_version=version,
        creation_date=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        exchange_plan=node.plan_name or DEFAULT_EXCHANGE_PLAN,
        to_code=node.code,
        from_code=infobase.node_code,
        message_no=message_no,
        received_no=node.received_no,
        available_versions=list(options.supported_format_versions),
        available_object_types=our_object_types(),
        prefix=INFOBASE_PREFIX,  # SSL31 ЗаписатьЗаголовокСообщенияОбмена writes Prefix, empty or not
    )
    accepted = _peer_receives(node, version)
    objects = (obj for obj in body.objects() if accepted is None or _wire_name(obj) in accepted)
    count = ed.write_message(out, header, objects)
    node.sent_no = message_no
    node.last_exchange_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.add(
        NodeMessage(
            node_id=node.id, message_no=message_no, max_seq=watermark, format_version=version, object_count=count
        )
    )
    session.flush()
    log.info("message %s for node %s: version %s, %s objects", message_no, node.code, version, count)
    return OutboundSummary(message_no, version, count)


def _wire_name(obj: object) -> str:
    return "УдалениеОбъекта" if isinstance(obj, ed.Deletion) else type(obj).wire_name  # type: ignore[attr-defined]


def _peer_receives(node: ExchangeNode, version: str) -> set[str] | None:
    """The types the device declared in ``Receiving`` for ``version``; None = everything (enterprisedata.md §7)."""
    if node.peer_object_types is None:
        return None
    accepted = {"УдалениеОбъекта"}
    peer_versions = set(filter(None, node.peer_versions.split(",")))
    for name, _sending, receiving in json.loads(node.peer_object_types):
        receiving = (receiving or "").strip()
        if receiving == "*":
            if not peer_versions or version in peer_versions:
                accepted.add(name)
        elif version in {v.strip() for v in receiving.split(",")}:
            accepted.add(name)
    return accepted


class _Body:
    """The objects of one message, generated lazily in dependency order."""

    def __init__(
        self,
        session: Session,
        infobase: Infobase,
        node: ExchangeNode,
        options: ProtocolOptions,
        *,
        since: int,
        until: int | None = None,
    ) -> None:
        self.session = session
        self.infobase = infobase
        self.tz = zone(options.format_timezone)
        self.node = node
        self.options = options
        self.register: CashRegister | None = (
            session.get(CashRegister, node.cash_register_id) if node.cash_register_id else None
        )
        if self.register is not None and self.register.store_id is not None:
            # the register's store and organization into the session in one query (most messages carry the store's
            # stock, which names both): their relationships then load from the identity map, without a query each
            self._scope = session.execute(_REGISTER_SCOPE, {"register_id": self.register.id}).all()  # held: the
            # identity map keeps only what is referenced
        row = session.execute(_TOUCHED, {"infobase_id": infobase.id, "since": since}).one()
        self.since = since
        self.until: int = row.watermark if until is None else until
        """The message carries the changes in (since, until]; ``until`` defaults to the infobase's sequence now."""
        self.touched: frozenset[str] = frozenset(
            model.__tablename__ for model in (*_WINDOWED, *_ABOVE) if getattr(row, model.__tablename__)
        )
        """The tables with rows above the node's watermark (``_TOUCHED``): the sections of the others are empty."""
        self.groups = self._load_groups((row.gseq, row.gcount))

    def has_changes(self, *models: Any) -> bool:
        """Whether any of ``models`` has a row in the node's window (a superset: echoes and scopes not filtered)."""
        return any(model.__tablename__ in self.touched for model in models)

    @cached_property
    def units(self) -> dict[int, Unit]:
        """Read when the goods or the units have something to send."""
        return {u.id: u for u in self.session.scalars(select(Unit).where(Unit.infobase_id == self.infobase.id))}

    def _load_groups(self, stamp: _GroupStamp) -> dict[int, ProductGroup]:
        """Every group (the key blocks), from ``_GROUPS_MEMO`` when its stamp is the database's now."""
        key = (str(self.session.get_bind().engine.url), self.infobase.id, self.infobase.node_code)
        memo = _GROUPS_MEMO.get(key)
        if memo is not None and memo[0] == stamp:
            return memo[1]
        rows = list(self.session.execute(select(*_GROUP_COLUMNS).where(ProductGroup.infobase_id == self.infobase.id)))
        groups = {g.id: cast(ProductGroup, g) for g in rows}
        # the stamp of the rows read (on READ COMMITTED they may be newer than the probe's)
        read: _GroupStamp = (max((g.change_seq for g in rows), default=None), len(rows))
        if len(_GROUPS_MEMO) >= _GROUPS_MEMO_SIZE:
            _GROUPS_MEMO.clear()
        _GROUPS_MEMO[key] = (read, groups)
        return groups

    def changed(self, column, model: Any = None):
        """Changed since the node's watermark; with ``model``, also not a change that came from this node itself
        (no echo: ``ChangeTracked.origin_node_id``). A node sent everything again (watermark 0) gets its own too."""
        window = and_(column > self.since, column <= self.until)
        if model is None or self.since == 0:
            return window
        return and_(window, or_(model.origin_node_id.is_(None), model.origin_node_id != self.node.id))

    def objects(self) -> Iterator[ed.FormatObject | ed.Deletion]:
        # A section whose tables have nothing in the window (``touched``) is skipped without a query.
        extra = retail.Sections(self)  # terminals, kinds, characteristics, stock, cards (issue 17)
        if self.has_changes(*_ABOVE):
            yield from self._register_settings()
        if self.has_changes(User):
            yield from self._cashiers()
        yield from extra.terminals()
        if self.has_changes(Unit):
            yield from self._units()
        if self.has_changes(ProductGroup):
            yield from self._groups()
        if self.has_changes(ItemKind, Characteristic):
            yield from extra.kinds_and_characteristics()
        if self.has_changes(Product):
            yield from extra.with_kinds(self._items())
        if self.has_changes(Barcode):
            yield from extra.with_characteristics(self._barcodes())
        if self.has_changes(Price):
            yield from self._prices()
        yield from extra.stock()
        yield from extra.cards()
        if self.has_changes(CustomerOrder, Counterparty):  # an order changed, or the customer of one
            yield from extra.with_order_characteristics(self._orders())
        yield from self._deletions(extra)

    def _register_settings(self) -> Iterator[ed.FormatObject]:
        register = self.register
        if register is None or register.deleted:
            return
        org, store, pt = register.organization, register.store, register.price_type
        if org.change_seq > self.since:
            yield to_format.organization(org)
        if store is not None and store.change_seq > self.since:
            yield to_format.warehouse(store)
        seqs = [register.change_seq, org.change_seq, store.change_seq if store else 0]
        if max(seqs) > self.since:
            yield to_format.cash_register(register)
        if pt is not None and pt.change_seq > self.since and not pt.deleted:
            yield to_format.price_type(pt)

    def _cashiers(self) -> Iterator[ed.FormatObject]:
        query = select(User).where(
            User.infobase_id == self.infobase.id, User.role == UserRole.CASHIER, self.changed(User.change_seq)
        )
        for user in self.session.scalars(query.order_by(User.id)):
            yield to_format.person(user)

    def _units(self) -> Iterator[ed.FormatObject]:
        for u in sorted(self.units.values(), key=lambda u: u.id):
            if self.since < u.change_seq <= self.until and not u.deleted:
                yield to_format.unit(u)

    def _groups(self) -> Iterator[ed.FormatObject]:
        def depth(group: ProductGroup) -> int:
            level, current = 0, group
            while current.parent_id is not None and current.parent_id in self.groups and level < 64:
                level, current = level + 1, self.groups[current.parent_id]
            return level

        changed = [g for g in self.groups.values() if self.since < g.change_seq <= self.until and not g.deleted]
        for group in sorted(changed, key=lambda g: (depth(g), g.id)):
            yield to_format.item_group(group, self.groups)

    def _items(self) -> Iterator[ed.FormatObject]:
        query = (
            select(*_PRODUCT_COLUMNS)
            .where(
                Product.infobase_id == self.infobase.id,
                Product.deleted.is_(False),
                self.changed(Product.change_seq, Product),
            )
            .order_by(Product.id)
            .execution_options(yield_per=STREAM_BATCH)
        )
        for row in self.session.execute(query):
            yield to_format.item(cast(Product, row), self.units, self.groups)  # the row has every column item() reads

    def _barcodes(self) -> Iterator[ed.FormatObject]:
        query = (
            select(Barcode.value, *_PRODUCT_KEY)
            .join(Product, Barcode.product_id == Product.id)
            .where(
                Barcode.infobase_id == self.infobase.id, Product.deleted.is_(False), self.changed(Barcode.change_seq)
            )
            .order_by(Barcode.id)
            .execution_options(yield_per=STREAM_BATCH)
        )
        for row in self.session.execute(query):  # value + the product's key columns
            yield to_format.barcode(cast(Barcode, row), cast(Product, row), self.groups)

    def _prices(self) -> Iterator[ed.FormatObject]:
        pt = self.register.price_type if self.register is not None else None
        if pt is None:
            pt = self.session.scalar(
                select(PriceType).where(PriceType.infobase_id == self.infobase.id).order_by(PriceType.id)
            )
        if pt is None:
            return
        query = (
            select(Price.value, *_PRODUCT_KEY)
            .join(Product, Price.product_id == Product.id)
            .where(Price.price_type_id == pt.id, Product.deleted.is_(False), self.changed(Price.change_seq))
            .order_by(Price.id)
            .execution_options(yield_per=STREAM_BATCH)
        )
        batch: list[tuple[Price, Product]] = []
        chunk = 0
        when = from_utc(utc_now(), self.tz)
        for row in self.session.execute(query):  # value + the product's key columns
            batch.append((cast(Price, row), cast(Product, row)))
            if len(batch) == PRICE_ROWS_PER_DOCUMENT:
                yield to_format.price_list(pt, batch, self.groups, ref=self._price_ref(pt, chunk), when=when)
                batch, chunk = [], chunk + 1
        if batch:
            yield to_format.price_list(pt, batch, self.groups, ref=self._price_ref(pt, chunk), when=when)

    def _price_ref(self, pt: PriceType, chunk: int) -> uuid.UUID:
        # deterministic per (node, watermark, chunk): a re-sent document keeps its Ссылка
        return uuid.uuid5(pt.ref, f"{self.node.code}:{self.until}:{chunk}")

    def _orders(self) -> Iterator[ed.FormatObject]:
        """Orders for this device (ККТ = its register, status Согласован/Собран/В пути) and final states of orders
        that left its filter after they were sent (mobile-kassa.md §6)."""
        register_id = self.node.cash_register_id
        held = select(NodeOrder.order_id).where(NodeOrder.node_id == self.node.id)
        query = (
            select(CustomerOrder)
            .where(
                CustomerOrder.infobase_id == self.infobase.id,
                or_(CustomerOrder.cash_register_id == register_id, CustomerOrder.id.in_(held)),
                or_(
                    self.changed(CustomerOrder.change_seq, CustomerOrder),
                    CustomerOrder.counterparty_id.in_(
                        select(Counterparty.id).where(self.changed(Counterparty.change_seq, Counterparty))
                    ),
                ),
            )
            .options(selectinload(CustomerOrder.lines).selectinload(OrderLine.product))
            .order_by(CustomerOrder.id)
        )
        holding = set(self.session.scalars(held))
        for order in self.session.scalars(query):
            in_filter = (
                order.cash_register_id == register_id and order.status in DEVICE_ORDER_STATUSES and not order.deleted
            )
            if in_filter and order.counterparty is None:
                # Контрагент is required in Документ.ЗаказКлиента: such an order cannot be written. The admin layer
                # refuses one; older data or other paths may still hold it. It waits (with its state) until it
                # has a customer, which changes it and so sends it; the rest of the message goes.
                log.warning(
                    "order %s (%s) for node %s has no customer (Контрагент is required): not sent",
                    order.number,
                    order.ref,
                    self.node.code,
                )
                continue
            if in_filter:
                assert order.counterparty is not None
                yield to_format.counterparty(order.counterparty)
                yield to_format.customer_order(order, self.groups, self.tz)
                yield to_format.order_state(order, tz=self.tz)
                if order.id not in holding:
                    self.session.add(NodeOrder(node_id=self.node.id, order_id=order.id))
                    holding.add(order.id)
            elif order.id in holding:
                yield to_format.order_state(order, tz=self.tz)

    def _deletions(self, extra: retail.Sections) -> Iterator[ed.Deletion]:
        if not self.options.send_deletions or self.node.sent_no == 0:
            return
        yield from extra.left_behind()
        yield from extra.cancelled_cards()
        if self.has_changes(Tombstone):
            yield from self._tombstones()
        if self.has_changes(Product):
            yield from self._soft_deleted()

    def _tombstones(self) -> Iterator[ed.Deletion]:
        query = select(Tombstone).where(Tombstone.infobase_id == self.infobase.id, self.changed(Tombstone.change_seq))
        for tombstone in self.session.scalars(query.order_by(Tombstone.id)):
            target = _DELETION_TARGETS.get(tombstone.object_kind)
            if target is None:
                continue
            if tombstone.scoped and not retail.left_devices_scope(self.session, tombstone, self.register):
                continue
            yield ed.Deletion(target, tombstone.ref)

    def _soft_deleted(self) -> Iterator[ed.Deletion]:
        soft = select(Product.ref).where(
            Product.infobase_id == self.infobase.id,
            Product.deleted.is_(True),
            self.changed(Product.change_seq, Product),
        )
        for ref in self.session.scalars(soft):
            yield ed.Deletion(ed.Item, ref)
