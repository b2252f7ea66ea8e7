"""Terminals, discount cards, stock on hand, product kinds and characteristics on the wire (issue 17).

Out (server → device): the sections of the first download's order (mobile-kassa.md §7.1) that ``outbound._Body``
calls between its own — terminals after the cashiers (6), kinds and characteristics before the goods (9), the stock
snapshot after the prices (13), cards after it (14) — each limited to the device's store and organization, plus the
kind of each product and the characteristic of each barcode. In (device → server): what a receipt names — its
terminal, its discount card, the characteristic of each line — and the stock it moves (``receipt_extras``, called in
the receipt's import, so the same transaction).

Per-version differences are the format's (``enterprisedata.objects``): ``Эквайер`` ≤ 1.10 / ``Эквайрер`` +
``ДоговорЭквайрера`` ≥ 1.16; a card's ``ВладелецКарты`` required ≤ 1.8 (a card without an owner gets a holder named
after its number), ``Статус`` ≥ 1.19; ``ИспользоватьХарактеристики`` of a kind ≥ 1.10; ``КартаЛояльности`` of a
receipt ≥ 1.10.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import Integer, Table, and_, bindparam, delete, insert, or_, select, true
from sqlalchemy.orm import Session, selectinload

from kassa_server import enterprisedata as ed
from kassa_server.exchange import to_format
from kassa_server.exchange.clock import from_utc, utc_now
from kassa_server.models import (
    AcquiringTerminal,
    Barcode,
    Characteristic,
    CustomerOrder,
    DiscountCard,
    Infobase,
    ItemKind,
    OrderLine,
    Product,
    ProductGroup,
    Receipt,
    StockBalance,
    StockMovement,
    Store,
    Tombstone,
)
from kassa_server.models.enums import PaymentKind, ProductKind, ReceiptKind

if TYPE_CHECKING:
    from kassa_server.models import CashRegister

log = logging.getLogger(__name__)

OWNER_REQUIRED_VERSIONS = frozenset({"1.7", "1.8"})
"""``ВладелецКарты`` is required in these versions (objects.md §4.12)."""
CARD_STATUS_VERSIONS = frozenset({"1.19", "1.20", "1.21"})
"""A card's ``Статус`` exists from 1.19; before, a cancelled card is not sent, and a card cancelled later is deleted."""

SENDS: tuple[str, ...] = (
    "Справочник.ЭквайринговыеТерминалы",
    "Справочник.ВидыНоменклатуры",
    "Справочник.ХарактеристикиНоменклатуры",
    "Справочник.ИнформативныеОстатки",
    "Справочник.ДисконтныеКарты",
)
DELETION_TARGETS: dict[str, type[ed.CatalogObject]] = {
    "terminal": ed.AcquiringTerminal,
    "discount_card": ed.DiscountCard,
    "item_kind": ed.ItemKind,
    "characteristic": ed.ItemCharacteristic,
}
"""Tombstone kinds (models/tracking.py) → the format type their ``УдалениеОбъекта`` names."""


# --- rows → format -------------------------------------------------------------------------------------------------


def item_kind(kind: ItemKind) -> ed.ItemKind:
    return ed.ItemKind(
        ref=kind.ref,
        name=kind.name,
        item_type=ed.ItemType.SERVICE if kind.product_kind == ProductKind.SERVICE else ed.ItemType.GOODS,
        uses_characteristics=kind.uses_characteristics,
    )


def characteristic(
    row: Characteristic,
    product: Product | None,
    kind: ItemKind | None,
    groups: dict[int, ProductGroup],
    memo: dict[int, ed.ItemGroup] | None = None,
) -> ed.ItemCharacteristic:
    """The object or its key block (the key holds the owner and ``НаименованиеПолное``; ``Наименование`` is body)."""
    return ed.ItemCharacteristic(
        ref=row.ref,
        owner_item=to_format.item_key(product, groups, memo) if product is not None else None,
        owner_kind=item_kind(kind) if kind is not None and product is None else None,
        full_name=row.full_name or row.name,
        name=row.name,
    )


def terminal(row: AcquiringTerminal, register: CashRegister | None = None) -> ed.AcquiringTerminal:
    acquirer = to_format.counterparty(row.acquirer) if row.acquirer is not None else None
    contract = None
    organization = row.organization or (row.store.organization if row.store else None)
    if organization is None and register is not None:
        organization = register.organization
    if acquirer is not None and row.contract_number and organization is not None:
        contract = ed.Contract(
            ref=uuid.uuid5(row.ref, "ДоговорЭквайрера"),
            kind=ed.ContractKind.OTHER,
            organization=to_format.organization(organization),
            counterparty=acquirer,
            currency=to_format.RUBLE,
            name=f"Договор эквайринга № {row.contract_number}",
            date=row.contract_date,
            number=row.contract_number,
        )
    return ed.AcquiringTerminal(ref=row.ref, number=row.number, name=row.name, acquirer=acquirer, contract=contract)


def discount_card(card: DiscountCard, version: str) -> ed.DiscountCard:
    owner = to_format.counterparty(card.owner) if card.owner is not None else None
    if owner is None and version in OWNER_REQUIRED_VERSIONS:
        owner = ed.Counterparty(  # ВладелецКарты is required here: the card's anonymous holder
            ref=uuid.uuid5(card.ref, "ВладелецКарты"),
            name=f"Держатель карты {card.number}",
            legal_form=ed.LegalForm.INDIVIDUAL,
        )
    program = ed.LoyaltyProgram(ref=uuid.uuid5(uuid.NAMESPACE_OID, f"kassa:{card.infobase_id}:{card.kind}"),
                                name=card.kind, bonus_currency=to_format.RUBLE) if card.kind else None  # fmt: skip
    return ed.DiscountCard(
        ref=card.ref,
        number=card.number,
        owner_counterparty=owner,
        program=program,
        opened_at=card.opened_at,
        status=(ed.DiscountCardStatus.ACTIVE if card.active else ed.DiscountCardStatus.CANCELLED).value,
    )


def stock_snapshot(
    store: Store,
    register: CashRegister,
    rows: Iterable[tuple[StockBalance, Product, Characteristic | None]],
    groups: dict[int, ProductGroup],
    *,
    when: dt.date,
) -> ed.StockSnapshot:
    """The store's whole snapshot; its Ссылка is derived from the store's, so a re-send replaces it on the device."""
    memo: dict[int, ed.ItemGroup] = {}  # the group blocks, made once for the snapshot's rows
    return ed.StockSnapshot(
        ref=uuid.uuid5(store.ref, "ИнформативныеОстатки"),
        date=when,
        warehouse=to_format.warehouse(store),
        organization=to_format.organization(register.organization),
        rows=[
            ed.StockRow(
                goods=ed.GoodsData(
                    item=to_format.item_key(product, groups, memo),
                    characteristic=(
                        characteristic(variant, product, None, groups, memo) if variant is not None else None
                    ),
                ),
                quantity=balance.quantity,
                row_id=str(n),
            )
            for n, (balance, product, variant) in enumerate(rows, start=1)
        ],
    )


# --- the outbound sections -----------------------------------------------------------------------------------------

STREAM_BATCH = 1000
"""Objects of a stream looked up together (as ``outbound.STREAM_BATCH``); a few hundred bound values a query."""
_PRODUCT_KEY = (Product.ref, Product.name, Product.full_name, Product.code, Product.article, Product.group_id)
"""The columns ``to_format.item_key`` reads (as ``outbound._PRODUCT_KEY``)."""


_STORE_STOCK = (
    select(
        StockBalance.quantity,
        StockBalance.characteristic_id,
        *_PRODUCT_KEY,
        Characteristic.ref.label("variant_ref"),
        Characteristic.name.label("variant_name"),
        Characteristic.full_name.label("variant_full_name"),
    )
    .join(Product, StockBalance.product_id == Product.id)
    .outerjoin(Characteristic, StockBalance.characteristic_id == Characteristic.id)
    .where(StockBalance.store_id == bindparam("store_id", type_=Integer), Product.deleted.is_(False))
    .order_by(Product.id, StockBalance.characteristic_id, StockBalance.id)
)
"""The whole store's snapshot: plain rows of the columns it reads, not three ORM objects a row. Built once (with the
next), as it goes in most messages: its cache key is not made again each time."""
_STORE_STOCK_CHANGED = (
    select(StockBalance.id)
    .where(
        StockBalance.store_id == bindparam("store_id", type_=Integer),
        StockBalance.change_seq > bindparam("since", type_=Integer),
        StockBalance.change_seq <= bindparam("until", type_=Integer),
    )
    .limit(1)
)


class _VariantKey(NamedTuple):
    """What ``characteristic`` reads of a characteristic, for the stock snapshot's rows."""

    ref: uuid.UUID
    name: str
    full_name: str


def _batches(stream: Iterable[ed.FormatObject]) -> Iterator[list[ed.FormatObject]]:
    """``stream`` in lists of at most ``STREAM_BATCH`` objects (a look-up per batch, not per object or infobase)."""
    batch: list[ed.FormatObject] = []
    for obj in stream:
        batch.append(obj)
        if len(batch) == STREAM_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class Sections:
    """The retail sections of one outbound message; ``body`` is ``outbound._Body`` (session, node, register, window)."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.session: Session = body.session
        self.infobase: Infobase = body.infobase
        self.register: CashRegister | None = body.register
        self.groups: dict[int, ProductGroup] = body.groups
        self.version: str = body.node.format_version or body.options.initial_format_version

    def window(self, column: Any) -> Any:
        return and_(column > self.body.since, column <= self.body.until)

    def scoped(self, column: Any) -> Any:
        """``window``, or everything when the device's register moved (its store's terminals, its organization's
        cards are all new to it then)."""
        return true() if self.moved_from else self.window(column)

    @cached_property
    def moved_from(self) -> list[Tombstone]:
        """The scopes the device's register left since the node's watermark (models/tracking.py ``SCOPES``)."""
        if self.register is None or self.body.since == 0 or not self.body.has_changes(Tombstone):
            return []
        query = select(Tombstone).where(
            Tombstone.infobase_id == self.infobase.id,
            Tombstone.object_kind == "cash_register",
            Tombstone.scoped.is_(True),
            Tombstone.ref == self.register.ref,
            self.window(Tombstone.change_seq),
        )
        return list(self.session.scalars(query.order_by(Tombstone.id)))

    def left_behind(self) -> Iterator[ed.Deletion]:
        """Deletions of the terminals and cards of the scopes the register left that it does not see now."""
        register = self.register
        if register is None:
            return
        seen: set[uuid.UUID] = set()
        for scope in self.moved_from:
            old_store = scope.scope_store_id
            old_organization = scope.scope_organization_id
            query = select(AcquiringTerminal).where(
                AcquiringTerminal.infobase_id == self.infobase.id,
                AcquiringTerminal.deleted.is_(False),
                AcquiringTerminal.store_id == old_store,
                or_(AcquiringTerminal.organization_id.is_(None), AcquiringTerminal.organization_id == old_organization),
            )
            for row in self.session.scalars(query.order_by(AcquiringTerminal.id)):
                if row.ref not in seen and not _sees(register, row):
                    seen.add(row.ref)
                    yield ed.Deletion(ed.AcquiringTerminal, row.ref)
            cards = select(DiscountCard).where(
                DiscountCard.infobase_id == self.infobase.id,
                DiscountCard.deleted.is_(False),
                DiscountCard.organization_id == old_organization,
            )
            for card in self.session.scalars(cards.order_by(DiscountCard.id)):
                if card.ref not in seen and not _sees(register, card):
                    seen.add(card.ref)
                    yield ed.Deletion(ed.DiscountCard, card.ref)

    def terminals(self) -> Iterator[ed.FormatObject]:
        register = self.register
        if register is None or register.store_id is None:
            return
        if not self.moved_from and not self.body.has_changes(AcquiringTerminal):
            return
        query = (
            select(AcquiringTerminal)
            .where(
                AcquiringTerminal.infobase_id == self.infobase.id,
                AcquiringTerminal.store_id == register.store_id,
                AcquiringTerminal.deleted.is_(False),
                or_(
                    AcquiringTerminal.organization_id.is_(None),
                    AcquiringTerminal.organization_id == register.organization_id,
                ),
                self.scoped(AcquiringTerminal.change_seq),
            )
            .order_by(AcquiringTerminal.id)
        )
        for row in self.session.scalars(query):
            yield terminal(row, register)

    def kinds_and_characteristics(self) -> Iterator[ed.FormatObject]:
        kinds = {
            k.id: k for k in self.session.scalars(select(ItemKind).where(ItemKind.infobase_id == self.infobase.id))
        }
        for kind in sorted(kinds.values(), key=lambda k: k.id):
            if self.body.since < kind.change_seq <= self.body.until and not kind.deleted:
                yield item_kind(kind)
        query = (
            select(Characteristic)
            .where(
                Characteristic.infobase_id == self.infobase.id,
                Characteristic.deleted.is_(False),
                self.window(Characteristic.change_seq),
            )
            .options(selectinload(Characteristic.product))
            .order_by(Characteristic.id)
        )
        for row in self.session.scalars(query):
            if row.product is not None and row.product.deleted:
                continue
            owner_kind = kinds.get(row.item_kind_id) if row.item_kind_id is not None else None
            yield characteristic(row, row.product, owner_kind, self.groups)

    def with_kinds(self, items: Iterable[ed.FormatObject]) -> Iterator[ed.FormatObject]:
        """The goods stream with each product's ``ВидНоменклатуры``, looked up a batch of the stream's goods at a
        time (only products that have one are found)."""
        for batch in _batches(items):
            refs = {obj.ref for obj in batch if isinstance(obj, ed.Item) and obj.ref is not None}
            kinds: dict[uuid.UUID, ed.ItemKind] = {}
            if refs:
                rows = self.session.execute(
                    select(Product.ref, ItemKind)
                    .join(ItemKind, Product.item_kind_id == ItemKind.id)
                    .where(Product.infobase_id == self.infobase.id, Product.ref.in_(refs))
                )
                kinds = {ref: item_kind(kind) for ref, kind in rows}
            for obj in batch:
                if kinds and isinstance(obj, ed.Item) and obj.ref in kinds:
                    obj.kind = kinds[obj.ref]
                yield obj

    def with_characteristics(self, barcodes: Iterable[ed.FormatObject]) -> Iterator[ed.FormatObject]:
        """The barcode stream with the characteristic each barcode points at, looked up a batch of the stream at a
        time."""
        for batch in _batches(barcodes):
            values = {obj.barcode for obj in batch if isinstance(obj, ed.Barcode) and obj.barcode is not None}
            variants: dict[str, ed.ItemCharacteristic] = {}
            if values:
                query = (
                    select(Barcode.value, Characteristic, Product)
                    .join(Characteristic, Barcode.characteristic_id == Characteristic.id)
                    .join(Product, Barcode.product_id == Product.id)
                    .where(Barcode.infobase_id == self.infobase.id, Barcode.value.in_(values))
                )
                variants = {
                    value: characteristic(row, product, None, self.groups)
                    for value, row, product in self.session.execute(query)
                }
            for obj in batch:
                if variants and isinstance(obj, ed.Barcode) and obj.barcode in variants:
                    for record in obj.records:
                        if record.goods is not None:
                            record.goods.characteristic = variants[obj.barcode]
                yield obj

    def with_order_characteristics(self, objects: Iterable[ed.FormatObject]) -> Iterator[ed.FormatObject]:
        """The orders stream with the characteristic of each goods line that has one, looked up a batch of the
        stream's orders at a time."""
        for batch in _batches(objects):
            refs = {obj.ref for obj in batch if isinstance(obj, ed.CustomerOrder) and obj.ref is not None}
            variants: dict[tuple[uuid.UUID, int], ed.ItemCharacteristic] = {}
            if refs:
                query = (
                    select(CustomerOrder.ref, OrderLine.line_no, Characteristic, Product)
                    .join(OrderLine, OrderLine.order_id == CustomerOrder.id)
                    .join(Characteristic, OrderLine.characteristic_id == Characteristic.id)
                    .join(Product, OrderLine.product_id == Product.id)
                    .where(CustomerOrder.infobase_id == self.infobase.id, CustomerOrder.ref.in_(refs))
                )
                for order_ref, line_no, row, product in self.session.execute(query):
                    variants[order_ref, line_no] = characteristic(row, product, None, self.groups)
            for obj in batch:
                if variants and isinstance(obj, ed.CustomerOrder) and obj.ref is not None:
                    for goods_row in obj.goods:
                        variant = variants.get((obj.ref, goods_row.line_no or 0))
                        if variant is not None and goods_row.goods is not None:
                            goods_row.goods.characteristic = variant
                yield obj

    def stock(self) -> Iterator[ed.FormatObject]:
        """The store's whole snapshot, when a balance of it changed (or a product or characteristic in it went) since
        the node's watermark, or when the node's last snapshot is older than ``stock_refresh_minutes``."""
        register = self.register
        if register is None or register.store is None:
            return
        store = register.store
        now = utc_now()
        today = from_utc(now, self.body.tz).date()
        for scope in self.moved_from:  # the format has no deletion for it: the old store's snapshot is emptied
            left = self.session.get(Store, scope.scope_store_id) if scope.scope_store_id is not None else None
            if left is not None and left.id != store.id:
                yield stock_snapshot(left, register, [], self.groups, when=today)
        if not self.moved_from and not self._stock_changed(store) and not self._stock_due(now):
            return
        rows = [
            (
                cast(StockBalance, row),  # quantity
                cast(Product, row),  # the product's key columns
                None
                if row.characteristic_id is None
                else cast(Characteristic, _VariantKey(row.variant_ref, row.variant_name, row.variant_full_name)),
            )
            for row in self.session.execute(_STORE_STOCK, {"store_id": store.id})
        ]
        if not rows and self.body.node.stock_sent_at is None:
            return  # a store that never had stock: nothing to show, nothing to replace
        self.body.node.stock_sent_at = now
        yield stock_snapshot(store, register, rows, self.groups, when=today)

    def _stock_changed(self, store: Store) -> bool:
        changed = None
        if self.body.has_changes(StockBalance):
            window = {"store_id": store.id, "since": self.body.since, "until": self.body.until}
            changed = self.session.scalar(_STORE_STOCK_CHANGED, window)
        if changed is None and self.body.has_changes(Tombstone):  # a product or characteristic gone: rows leave
            changed = self.session.scalar(
                select(Tombstone.id)
                .where(
                    Tombstone.infobase_id == self.infobase.id,
                    Tombstone.object_kind.in_(("product", "characteristic")),
                    self.window(Tombstone.change_seq),
                )
                .limit(1)
            )
        if changed is None and self.body.has_changes(Product):  # a product soft-deleted
            changed = self.session.scalar(
                select(StockBalance.id)
                .join(Product, StockBalance.product_id == Product.id)
                .where(StockBalance.store_id == store.id, Product.deleted.is_(True), self.window(Product.change_seq))
                .limit(1)
            )
        return changed is not None

    def _stock_due(self, now: dt.datetime) -> bool:
        """The scheduled refresh: the node's last snapshot is older than the setting (never sent: not due, the first
        snapshot goes with the first change, as every balance is new to a first download)."""
        minutes = self.body.options.stock_refresh_minutes
        sent = self.body.node.stock_sent_at
        return bool(minutes) and sent is not None and now - sent >= dt.timedelta(minutes=minutes)

    def cards(self) -> Iterator[ed.FormatObject]:
        if not self.moved_from and not self.body.has_changes(DiscountCard):
            return
        register = self.register
        organization_id = register.organization_id if register is not None else None
        query = (
            select(DiscountCard)
            .where(
                DiscountCard.infobase_id == self.infobase.id,
                DiscountCard.deleted.is_(False),
                or_(DiscountCard.organization_id.is_(None), DiscountCard.organization_id == organization_id),
                self.scoped(DiscountCard.change_seq),
            )
            .options(selectinload(DiscountCard.owner))
            .order_by(DiscountCard.id)
        )
        for card in self.session.scalars(query):
            if card.active or self.version in CARD_STATUS_VERSIONS:
                yield discount_card(card, self.version)

    def cancelled_cards(self) -> Iterator[ed.Deletion]:
        """In a version without a card's ``Статус``, deletions of the cards cancelled since the watermark."""
        if self.version in CARD_STATUS_VERSIONS or not self.body.has_changes(DiscountCard):
            return
        query = select(DiscountCard.ref).where(
            DiscountCard.infobase_id == self.infobase.id,
            DiscountCard.deleted.is_(False),
            DiscountCard.active.is_(False),
            self.window(DiscountCard.change_seq),
        )
        for ref in self.session.scalars(query.order_by(DiscountCard.id)):
            yield ed.Deletion(ed.DiscountCard, ref)


def left_devices_scope(session: Session, tombstone: Tombstone, register: CashRegister | None) -> bool:
    """Whether a scoped tombstone (models/tracking.py ``SCOPES``: a terminal moved to another store, a card given to
    another organization) is a deletion for the device of ``register``: the register was in the scope the object
    left, and the object is not among what this device gets now (``Sections.terminals``/``cards`` filter alike).
    A register's own (it moved) is ``Sections.left_behind``'s."""
    if register is None:
        return False
    if tombstone.scope_store_id is not None and tombstone.scope_store_id != register.store_id:
        return False
    if tombstone.scope_organization_id is not None and tombstone.scope_organization_id != register.organization_id:
        return False
    row: AcquiringTerminal | DiscountCard | None
    if tombstone.object_kind == "terminal":
        row = session.scalar(
            select(AcquiringTerminal).where(
                AcquiringTerminal.infobase_id == tombstone.infobase_id, AcquiringTerminal.ref == tombstone.ref
            )
        )
    elif tombstone.object_kind == "discount_card":
        row = session.scalar(
            select(DiscountCard).where(
                DiscountCard.infobase_id == tombstone.infobase_id, DiscountCard.ref == tombstone.ref
            )
        )
    else:
        return False
    return row is None or not _sees(register, row)


def _sees(register: CashRegister, row: AcquiringTerminal | DiscountCard) -> bool:
    """Whether the device of ``register`` gets ``row`` (the filters of ``Sections.terminals`` and ``cards``)."""
    if row.deleted:
        return False
    if row.organization_id is not None and row.organization_id != register.organization_id:
        return False
    return not isinstance(row, AcquiringTerminal) or row.store_id == register.store_id


# --- format → rows: what a receipt names, and the stock it moves ---------------------------------------------------


@dataclass
class PendingMoves:
    """One receipt's stock movements, applied with the rest of its message's (``apply_moves``)."""

    receipt: Receipt
    store_id: int | None
    moves: list[tuple[Product, Characteristic | None, Decimal]]
    stored_before: bool
    """The receipt was a row before this batch of its message: it may have movements to undo."""


class _PerReceipt(Protocol):
    receipt: Receipt
    stored_before: bool


Entry = TypeVar("Entry", bound=_PerReceipt)


class LastVersions(Generic[Entry]):
    """What a batch of a message holds per receipt, by its ``Ссылка``, until the batch is applied: a receipt sent
    twice in one batch keeps its last version, and was stored before if its first version was."""

    def __init__(self) -> None:
        self.pending: dict[uuid.UUID, Entry] = {}

    def add(self, entry: Entry) -> None:
        earlier = self.pending.get(entry.receipt.ref)
        if earlier is not None:
            entry.stored_before = earlier.stored_before
        self.pending[entry.receipt.ref] = entry


class StockMoves(LastVersions[PendingMoves]):
    """The stock movements of a message's receipts: applied together, with one flush and one lock, at the end of the
    message (or of each batch of a big one) by ``apply_moves``."""


def receipt_extras(
    session: Session,
    infobase: Infobase,
    receipt: Receipt,
    obj: ed.Receipt,
    *,
    lines: Sequence[dict[str, Any]],
    payments: Sequence[dict[str, Any]],
    find: Callable[[Any, uuid.UUID | None], Any] | None = None,
    balances: dict[tuple[int | None, int, int | None], int] | None = None,
    stock: StockMoves | None = None,
    stored_before: bool = True,
) -> None:
    """Keep the receipt's references (card, terminals, characteristics) and move the store's stock by its lines.

    Called by the receipt import once the receipt's lines and payments are built (``lines`` and ``payments``, the
    column values of their rows, in the order of the receipt's goods and payments); a receipt sent again first undoes
    what it moved before, so the stock counts each receipt once. A cancelled receipt moves nothing. ``find`` (the
    message's memo of rows by ``Ссылка``, ``from_format.Context.find``) and ``balances`` (the message's stock balance
    ids by store, product and characteristic) spare a query per line and look-up; without them every look-up asks.
    With ``stock`` the movements wait there for ``apply_moves`` (the import applies a message's together); without it
    they are applied now. ``stored_before`` False says the receipt is new: it has no movements to undo.
    """
    if find is None:

        def find(model: Any, ref: uuid.UUID | None) -> Any:
            return _find(session, model, infobase, ref)

    card = obj.loyalty_card
    receipt.discount_card_ref = card.ref if card is not None else None
    receipt.discount_card_number = ((card.number or "") if card is not None else "")[:100]
    found_card = find(DiscountCard, card.ref if card else None)
    if found_card is None and card is not None and card.number:
        found_card = session.scalar(
            select(DiscountCard).where(DiscountCard.infobase_id == infobase.id, DiscountCard.number == card.number)
        )
    receipt.discount_card_id = found_card.id if found_card is not None else None

    card_payments = [p for p in payments if p["kind"] == PaymentKind.CARD]
    for payment, row in zip(card_payments, obj.card_payments, strict=False):
        if row.terminal is None:
            continue
        payment["terminal_ref"] = row.terminal.ref
        payment["terminal_number"] = (row.terminal.number or "")[:50]
        found = find(AcquiringTerminal, row.terminal.ref)
        if found is None and row.terminal.number:
            found = session.scalar(
                select(AcquiringTerminal).where(
                    AcquiringTerminal.infobase_id == infobase.id, AcquiringTerminal.number == row.terminal.number
                )
            )
        payment["terminal_id"] = found.id if found is not None else None

    rows: list[Any] = [*obj.sales, *obj.returns, *obj.services]  # the order the import built the lines in
    returned = {id(row) for row in obj.returns}
    moves: list[tuple[Product, Characteristic | None, Decimal]] = []
    for line, row in zip(lines, rows, strict=False):
        variant_key = row.goods.characteristic if row.goods is not None else None
        line["characteristic_ref"] = variant_key.ref if variant_key is not None else None
        variant = find(Characteristic, variant_key.ref if variant_key else None)
        line["characteristic_id"] = variant.id if variant is not None else None
        sent_name = (variant_key.name or variant_key.full_name or "") if variant_key else ""  # the key: full name
        line["characteristic_name"] = variant.name if variant is not None else sent_name
        if line["is_service"] or line["product_ref"] is None or not line["quantity"]:
            continue
        product = find(Product, line["product_ref"])  # one made earlier in this message gets its id by apply_moves
        if product is None or product.kind == ProductKind.SERVICE:
            continue
        sign = 1 if id(row) in returned or receipt.kind == ReceiptKind.RETURN else -1
        moves.append((product, variant, sign * line["quantity"]))
    register = receipt.cash_register
    entry = PendingMoves(
        receipt,
        register.store_id if register is not None else None,
        [] if receipt.cancelled else moves,
        stored_before,
    )
    if stock is not None:
        stock.add(entry)
    else:
        apply_moves(session, infobase, [entry], {} if balances is None else balances)


def order_extras(session: Session, infobase: Infobase, order: CustomerOrder, obj: ed.CustomerOrder) -> None:
    """Keep the characteristic of each goods line of an order the device made (matched by line number)."""
    by_line = {line.line_no: line for line in order.lines}
    for number, row in enumerate(obj.goods, start=1):  # numbered as the order import numbers them
        variant_key = row.goods.characteristic if row.goods is not None else None
        line = by_line.get(row.line_no or number)
        variant = _find(session, Characteristic, infobase, variant_key.ref if variant_key else None)
        if line is not None and variant is not None:
            line.characteristic_id = variant.id


_MOVEMENTS = cast(Table, StockMovement.__table__)
_OLD_MOVES = select(_MOVEMENTS.c.receipt_id, _MOVEMENTS.c.balance_id, _MOVEMENTS.c.quantity).where(
    _MOVEMENTS.c.receipt_id.in_(bindparam("receipts", expanding=True))
)
_DROP_MOVES = delete(_MOVEMENTS).where(_MOVEMENTS.c.receipt_id.in_(bindparam("receipts", expanding=True)))
_ADD_MOVE = insert(_MOVEMENTS)
_FIND_BALANCES = (
    select(StockBalance.id, StockBalance.store_id, StockBalance.product_id, StockBalance.characteristic_id)
    .where(
        StockBalance.store_id.in_(bindparam("stores", expanding=True)),
        StockBalance.product_id.in_(bindparam("products", expanding=True)),
    )
    .order_by(StockBalance.id.desc())
)
_LOCK_INFOBASE = select(Infobase.id).where(Infobase.id == bindparam("infobase")).with_for_update(key_share=True)
_LOCK_BALANCES = (
    select(StockBalance)
    .where(StockBalance.id.in_(bindparam("ids", expanding=True)))
    .order_by(StockBalance.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def apply_moves(
    session: Session,
    infobase: Infobase,
    pending: Sequence[PendingMoves],
    balances: dict[tuple[int | None, int, int | None], int],
) -> None:
    """Undo the earlier movements of these receipts and apply their moves: one flush, one look-up of the balances,
    one lock for all of them. The infobase's row is locked first, then the balances ``FOR UPDATE`` in id order (so
    two messages never wait for each other crosswise): devices of one store upload at the same time, and on
    PostgreSQL two receipts must not both decrease the same quantity they read before the other committed.
    ``balances`` remembers the balance ids found or made (a balance row is never deleted while a message applies).
    The movements are rows of their own (no change tracking, never read back by the import): written and removed
    with plain statements, their receipts' ``stock_movements`` collections are not loaded."""
    if not pending:
        return
    session.flush()  # the receipts get their ids, and products made earlier in this message theirs
    wanted: list[tuple[PendingMoves, tuple[int | None, int, int | None], Decimal]] = []
    for entry in pending:
        if entry.store_id is None and entry.moves:
            log.info("receipt %s: its register has no store, stock not moved", entry.receipt.ref)
            continue
        for product, variant, quantity in entry.moves:
            wanted.append((entry, (entry.store_id, product.id, variant.id if variant is not None else None), quantity))
    unknown = [key for _, key, _ in wanted if key not in balances]
    if unknown:  # one look-up for the lines of all these receipts; the lowest id wins, as it would by key
        found = session.execute(
            _FIND_BALANCES,
            {
                "stores": sorted({key[0] for key in unknown if key[0] is not None}),
                "products": sorted({key[1] for key in unknown}),
            },
        )
        for balance_id, store_id, product_id, variant_id in found:
            balances[(store_id, product_id, variant_id)] = balance_id
    created: dict[tuple[int | None, int, int | None], StockBalance] = {}
    for _, key, _ in wanted:
        if key not in balances and key not in created:
            created[key] = StockBalance(
                infobase_id=infobase.id,
                store_id=key[0],
                product_id=key[1],
                characteristic_id=key[2],
                quantity=Decimal("0.000"),
            )
    if created:
        session.add_all(created.values())
        session.flush()
        for key, balance in created.items():
            balances[key] = balance.id
    resent = sorted(entry.receipt.id for entry in pending if entry.stored_before)
    old = session.execute(_OLD_MOVES, {"receipts": resent}).all() if resent else []
    ids = sorted({balance_id for _, balance_id, _ in old} | {balances[key] for _, key, _ in wanted})
    locked: Sequence[StockBalance] = ()
    if ids:  # lock (and re-read) every balance these receipts touch
        # The infobase's row before the balances: changing a balance stamps the infobase's change sequence (an UPDATE
        # of that row, held to the commit), so every writer takes the row first and then balances. Locking balances
        # first, two messages of one store deadlocked on PostgreSQL (each held a balance and waited for the row).
        # FOR NO KEY UPDATE is the lock that UPDATE takes; FOR UPDATE would also block every insert referencing the
        # infobase (their foreign-key checks take FOR KEY SHARE).
        session.execute(_LOCK_INFOBASE, {"infobase": infobase.id})
        locked = session.scalars(_LOCK_BALANCES, {"ids": ids}).all()
    # The balances moved are the rows just locked and re-read (a balance row is never deleted): no query each.
    by_id = {balance.id: balance for balance in locked}
    for _, balance_id, quantity in old:  # a receipt sent again: undo what it moved before
        by_id[balance_id].quantity -= quantity
    if old:
        session.execute(_DROP_MOVES, {"receipts": resent})
    rows = []
    for entry, key, quantity in wanted:
        balance = by_id[balances[key]]
        balance.quantity += quantity
        rows.append({"receipt_id": entry.receipt.id, "balance_id": balance.id, "quantity": quantity})
    if rows:
        session.execute(_ADD_MOVE, rows)


def _find(session: Session, model: Any, infobase: Infobase, ref: uuid.UUID | None) -> Any:
    if ref is None:
        return None
    return session.scalar(select(model).where(model.infobase_id == infobase.id, model.ref == ref))


__all__ = [
    "DELETION_TARGETS",
    "SENDS",
    "LastVersions",
    "PendingMoves",
    "Sections",
    "StockMoves",
    "apply_moves",
    "left_devices_scope",
    "order_extras",
    "receipt_extras",
]
