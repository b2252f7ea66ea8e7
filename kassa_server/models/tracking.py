"""Change tracking for every write path that goes through the ORM: CLI, CSV import, exchange, tests, any code.

Before each flush, every new, changed or deleted row of a tracked model gets the next ``change_seq`` of its infobase
(one ``UPDATE infobases SET change_seq = change_seq + 1 … RETURNING`` per infobase per flush). That update locks the
infobase row until the transaction ends, so sequences are handed out in commit order: a reader never sees sequence
N+1 committed while N is still to come, which is what makes the per-node watermark of exchange_state.py safe.
Deleted rows leave a ``Tombstone``; so does a row that leaves a scope of devices (``SCOPES``: a terminal moved to
another store, a card given to another organization), marked ``scoped`` with the scope it left. Order lines stamp
their order. Bulk ``update()``/``delete()`` statements bypass the ORM unit of work and are not tracked: change tracked
tables through objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session, UOWTransaction

from kassa_server.models.catalog import (
    Barcode,
    Counterparty,
    Organization,
    Price,
    PriceType,
    Product,
    ProductGroup,
    Store,
    Unit,
)
from kassa_server.models.exchange_state import Tombstone
from kassa_server.models.infobases import Infobase, User
from kassa_server.models.orders import CustomerOrder, OrderLine
from kassa_server.models.registers import CashRegister
from kassa_server.models.retail import AcquiringTerminal, Characteristic, DiscountCard, ItemKind, StockBalance

ORIGIN_NODE = "kassa_origin_node_id"
"""``session.info`` key: the node whose message the session is applying (exchange/inbound.py sets it). Every row
stamped in that session records it as ``origin_node_id``; any other write path leaves None (the back office)."""

TRACKED: dict[type, str] = {
    Organization: "organization",
    Store: "store",
    CashRegister: "cash_register",
    PriceType: "price_type",
    Unit: "unit",
    ProductGroup: "product_group",
    Product: "product",
    Barcode: "barcode",
    Price: "price",
    Counterparty: "counterparty",
    CustomerOrder: "order",
    User: "user",
    ItemKind: "item_kind",
    Characteristic: "characteristic",
    AcquiringTerminal: "terminal",
    DiscountCard: "discount_card",
    StockBalance: "stock",
}
"""Models whose rows travel to devices, with the kind name used in tombstones."""

SCOPES: dict[type, tuple[str, ...]] = {
    AcquiringTerminal: ("store", "organization"),
    DiscountCard: ("organization",),
    CashRegister: ("store", "organization"),
}
"""Models that reach only the devices of a store and/or an organization (exchange/retail.py filters them so), with the
relationships that say which. Changing one leaves a scoped tombstone: the devices of the old scope get a deletion. A
register's own scoped tombstone says its device moved: it gets what its new scope has and loses what the old had."""


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    stamped: list[Any] = []
    deleted: list[Any] = []
    for obj in session.new:
        if type(obj) in TRACKED:
            stamped.append(obj)
        elif isinstance(obj, OrderLine) and obj.order is not None:
            stamped.append(obj.order)
    moved: list[tuple[Any, dict[str, int | None]]] = []
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        if type(obj) in TRACKED:
            stamped.append(obj)
            scope = _old_scope(obj)
            if scope is not None:
                moved.append((obj, scope))
        elif isinstance(obj, OrderLine) and obj.order is not None:
            stamped.append(obj.order)
    for obj in session.deleted:
        if type(obj) in TRACKED:
            deleted.append(obj)
        elif isinstance(obj, OrderLine) and obj.order is not None and obj.order not in session.deleted:
            stamped.append(obj.order)
    if not stamped and not deleted:
        return
    sequences: dict[int, int] = {}
    for obj in (*stamped, *deleted):
        infobase_id = _infobase_id(obj)
        if infobase_id is None or infobase_id in sequences:
            continue
        sequences[infobase_id] = _next_seq(session, infobase_id)
    origin = session.info.get(ORIGIN_NODE)
    for obj in stamped:
        infobase_id = _infobase_id(obj)
        if infobase_id is not None:
            obj.change_seq = sequences[infobase_id]
            obj.origin_node_id = origin
    for obj in deleted:
        infobase_id = _infobase_id(obj)
        ref = getattr(obj, "ref", None)
        if infobase_id is not None and ref is not None:
            session.add(
                Tombstone(
                    infobase_id=infobase_id, object_kind=TRACKED[type(obj)], ref=ref, change_seq=sequences[infobase_id]
                )
            )
    for obj, scope in moved:
        infobase_id = _infobase_id(obj)
        if infobase_id is not None and obj.ref is not None:
            session.add(
                Tombstone(
                    infobase_id=infobase_id,
                    object_kind=TRACKED[type(obj)],
                    ref=obj.ref,
                    change_seq=sequences[infobase_id],
                    scoped=True,
                    scope_store_id=scope.get("store"),
                    scope_organization_id=scope.get("organization"),
                )
            )


def _old_scope(obj: Any) -> dict[str, int | None] | None:
    """The scope (``SCOPES``) ``obj`` had before this flush, when a part of it changed; None when it did not.

    A relationship assigned since the last flush has not touched its foreign-key column yet, so the column still holds
    the old value (unless the old object was loaded, then the history has it); a column set directly has its own
    history. A part that did not change keeps its present value."""
    names = SCOPES.get(type(obj))
    if not names:
        return None
    state = inspect(obj)
    scope: dict[str, int | None] = {}
    changed = False
    for name in names:
        related, column = state.attrs[name].history, state.attrs[f"{name}_id"].history
        old: int | None = getattr(obj, f"{name}_id")
        if column.has_changes():
            old = column.deleted[0] if column.deleted else None
            new = getattr(obj, f"{name}_id")
        elif related.has_changes():
            if related.deleted and related.deleted[0] is not None:
                old = related.deleted[0].id
            new = related.added[0].id if related.added and related.added[0] is not None else None
        else:
            scope[name] = old
            continue
        changed = changed or old != new
        scope[name] = old
    return scope if changed else None


def _infobase_id(obj: Any) -> int | None:
    infobase_id = getattr(obj, "infobase_id", None)
    if infobase_id is None and getattr(obj, "infobase", None) is not None:
        infobase_id = obj.infobase.id
    return infobase_id


def next_change_seq(session: Session, infobase_id: int) -> int:
    """Hand out the infobase's next change sequence, for rows written by a bulk INSERT (which bypasses the flush
    events): stamp them with it, as a flush stamps its objects."""
    return _next_seq(session, infobase_id)


def _next_seq(session: Session, infobase_id: int) -> int:
    result = session.connection().execute(
        update(Infobase)
        .where(Infobase.id == infobase_id)
        .values(change_seq=Infobase.change_seq + 1)
        .returning(Infobase.change_seq)
    )
    value = result.scalar_one_or_none()
    return int(value) if value is not None else 0
