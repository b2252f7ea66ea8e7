"""Files in transit between a client and the server, and long operations.

They live in the database so that any worker process can answer any call of a transfer (soap-services.md §6, §8).
Blobs are kept in the database too: a transfer is at most ``Limits.max_request_body``-sized parts, which both SQLite
and PostgreSQL (bytea) store comfortably, and it keeps every worker on every host consistent without shared disks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, enum_column_type, intpk, timestamp_now


class TransferDirection(StrEnum):
    OUTGOING = "outgoing"
    """Server → client: an export cut into parts for ``GetFilePart``/``GetDataPart``."""
    INCOMING = "incoming"
    """Client → server: parts sent by ``PutFilePart``."""
    STORED = "stored"
    """Client → server, saved by ``SaveFileFromParts``: the parts are the stored ZIP, keyed by its file id, until
    ``DownloadData`` takes them (an upload's inflated message is never stored)."""
    EXPORTED = "exported"
    """Server → client, stored by ``UploadData``: 1C's file storage holding an export ZIP (its parts, keyed by its file
    id) until ``PrepareGetFile`` turns it into an outgoing transfer, without copying a byte."""


class OperationStatus(StrEnum):
    """The wire literals themselves, English and case-sensitive (soap-services.md §8 [V])."""

    ACTIVE = "Active"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


class StoredFile(Base):
    """Earlier versions' 1C file storage of export ZIPs, one blob each. Exports are now ``Transfer`` rows of direction
    ``EXPORTED``; rows left here by an earlier version expire with the rest (``TransferStore.purge_expired``)."""

    __tablename__ = "exchange_files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    infobase_id: Mapped[int] = mapped_column(ForeignKey("infobases.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(150), default="")
    node_code: Mapped[str] = mapped_column(String(100), default="")
    """The node the file was exported for or uploaded by; empty when unknown."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[timestamp_now] = mapped_column(index=True)


class Transfer(Base):
    """A file cut into parts. Outgoing (and exported) transfers keep the file as rows of ``TransferPart`` of one
    storage chunk size (the last one shorter), written as the archive streams from its temporary file, and their wire
    part size (the parts are cut from the chunks on read); incoming transfers collect the parts a client sends, in any
    order, until they are joined. ``content`` is only read for an outgoing file stored whole by an earlier version."""

    __tablename__ = "exchange_transfers"
    __table_args__ = (UniqueConstraint("infobase_id", "direction", "key"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = mapped_column(ForeignKey("infobases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[TransferDirection] = mapped_column(enum_column_type(TransferDirection))
    key: Mapped[str] = mapped_column(String(255))
    """``TransferId`` (Exchange_2_0_1_6) or ``FileID`` (EDE): any non-empty string a client or the server chose."""
    plan: Mapped[str] = mapped_column(String(150), default="")
    node_code: Mapped[str] = mapped_column(String(100), default="")
    """For an outgoing transfer, the node whose export it carries (to tell the exchange logic it was delivered)."""
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    part_size: Mapped[int | None] = mapped_column()
    """Bytes per part of an outgoing transfer; None = one part."""
    part_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp_now] = mapped_column(index=True)

    parts: Mapped[list[TransferPart]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", passive_deletes=True
    )


class TransferPart(Base):
    __tablename__ = "exchange_transfer_parts"
    __table_args__ = (UniqueConstraint("transfer_id", "part_no"),)

    id: Mapped[intpk]
    transfer_id: Mapped[int] = mapped_column(ForeignKey("exchange_transfers.id", ondelete="CASCADE"), index=True)
    part_no: Mapped[int] = mapped_column()
    """1-based, as on the wire."""
    size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """``len(data)``, kept so the transfer quotas are summed without reading the blobs."""
    data: Mapped[bytes] = mapped_column(LargeBinary)

    transfer: Mapped[Transfer] = relationship(back_populates="parts")


class LongOperation(Base):
    """A long operation (1C background job) and its recorded result (soap-services.md §8)."""

    __tablename__ = "long_operations"
    __table_args__ = (Index("ix_long_operations_created_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    infobase_id: Mapped[int] = mapped_column(ForeignKey("infobases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    """What ran: ``export``, ``import`` …; for the journal and for humans."""
    node_code: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[OperationStatus] = mapped_column(enum_column_type(OperationStatus))
    error_message: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[str] = mapped_column(String(255), default="")
    part_count: Mapped[int] = mapped_column(default=0)
    active_polls_left: Mapped[int] = mapped_column(default=0)
    """Polls that still answer ``Active`` before the real status (ProtocolOptions.operation_active_polls)."""
    created_at: Mapped[timestamp_now]
    finished_at: Mapped[dt.datetime | None] = mapped_column()
