"""Exchange bookkeeping per device node: numbering, what was sent, deletions, which orders a node holds.

Change tracking is a watermark, not a queue: every tracked row carries ``change_seq`` (models/tracking.py), each
outgoing message remembers the highest sequence it covered, and a node's acknowledgement moves its ``acked_seq`` to
the watermark of the acknowledged message. A message therefore carries everything changed since the last
acknowledged message — cumulative, as SSL's are (enterprisedata.md §4.1) — without one registration row per change
per node.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, infobase_fk, intpk, timestamp_now
from kassa_server.models.registers import CashRegister


class ExchangeNode(Base):
    """The exchange-plan node of one «1С:Мобильная касса» device; its code is the register's factory number."""

    __tablename__ = "exchange_nodes"
    __table_args__ = (UniqueConstraint("infobase_id", "code"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    code: Mapped[str] = mapped_column(String(100))
    cash_register_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_registers.id", ondelete="SET NULL"), unique=True
    )
    plan_name: Mapped[str] = mapped_column(String(150), default="")
    """The exchange plan name the device used last (mobile-kassa.md §3)."""
    format_version: Mapped[str | None] = mapped_column(String(20))
    """The negotiated version; None until the device has told its versions (enterprisedata.md §8)."""
    peer_versions: Mapped[str] = mapped_column(Text, default="")
    peer_object_types: Mapped[str | None] = mapped_column(Text)
    """JSON list of [name, sending, receiving] from the device's AvailableObjectTypes; None = everything."""
    peer_prefix: Mapped[str] = mapped_column(String(50), default="")
    sent_no: Mapped[int] = mapped_column(BigInteger, default=0)
    received_no: Mapped[int] = mapped_column(BigInteger, default=0)
    received_digest: Mapped[str] = mapped_column(String(64), default="", server_default="")
    """SHA-256 (hex) of message ``received_no`` as it came: the same number again must be the same message."""
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """Every change up to this sequence has been acknowledged by the device."""
    deleted: Mapped[bool] = mapped_column(default=False)
    settings_xml: Mapped[str] = mapped_column(Text, default="")
    last_exchange_at: Mapped[dt.datetime | None]
    stock_sent_at: Mapped[dt.datetime | None]
    """When the last message to the device carrying its store's stock snapshot was built (naive UTC); the snapshot
    is sent again after ``ProtocolOptions.stock_refresh_minutes`` even if no balance changed."""
    created_at: Mapped[timestamp_now]

    cash_register: Mapped[CashRegister | None] = relationship()


class NodeMessage(Base):
    """An outgoing message to a node and the change watermark it covered."""

    __tablename__ = "node_messages"
    __table_args__ = (UniqueConstraint("node_id", "message_no"),)

    id: Mapped[intpk]
    node_id: Mapped[int] = mapped_column(ForeignKey("exchange_nodes.id", ondelete="CASCADE"), index=True)
    message_no: Mapped[int] = mapped_column(BigInteger)
    max_seq: Mapped[int] = mapped_column(BigInteger)
    format_version: Mapped[str] = mapped_column(String(20))
    object_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp_now]


class NodeOrder(Base):
    """An order that was sent to a node: once it leaves the node's filter, the node still gets its final state."""

    __tablename__ = "node_orders"
    __table_args__ = (UniqueConstraint("node_id", "order_id"),)

    id: Mapped[intpk]
    node_id: Mapped[int] = mapped_column(ForeignKey("exchange_nodes.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_orders.id", ondelete="CASCADE"), index=True)


class Tombstone(Base):
    """A tracked object that was deleted for good, or that left a scope (a terminal moved to another store, a card
    given to another organization); devices get ``УдалениеОбъекта`` for it, a scoped one only the devices in the scope
    it left that no longer see the object (models/tracking.py writes both)."""

    __tablename__ = "tombstones"

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    object_kind: Mapped[str] = mapped_column(String(50))
    ref: Mapped[uuid.UUID]
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted_at: Mapped[timestamp_now]
    scoped: Mapped[bool] = mapped_column(default=False)
    """The object still exists: it left the scope below (a register's store and organization)."""
    scope_store_id: Mapped[int | None]
    """The store it left (an id, no foreign key: the scope outlives the store); None = any store."""
    scope_organization_id: Mapped[int | None]
    """The organization it left; None = any organization."""
