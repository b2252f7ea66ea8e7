"""Files in transit: ZIP in and out with size and ratio limits, cutting into parts and joining them.

Parts are raw byte slices of the ZIP at exact boundaries, only the last one shorter (soap-services.md §6 [V]). The
first ZIP entry is the message, whatever its name. The database side (``TransferStore``) keeps transfers, parts and
stored files so that any worker process answers any call.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server import crashpoints
from kassa_server.exchange.errors import (
    ArchiveError,
    ArchiveTooLarge,
    EmptyArchive,
    FileNotFound,
    InvalidPartNumber,
    PartNotFound,
    TransferNotFound,
    TransferQuotaExceeded,
)
from kassa_server.models.engine import affected_rows
from kassa_server.models.infobases import utcnow
from kassa_server.models.transfers import StoredFile, Transfer, TransferDirection, TransferPart

logger = logging.getLogger(__name__)

EXCHANGE_ENTRY_PREFIX = "Message"
"""Exchange_2_0_1_6 exports hold a single ``Message…xml`` entry (soap-services.md §3.1 [V])."""
EDE_ENTRY_NAME = "data.xml"
"""EDE exports hold a single ``data.xml`` entry (soap-services.md §4.1 [V])."""


def part_size_bytes(size_kb: Decimal | int | float | str | None) -> int | None:
    """``BlockSize``/``PartSize`` in KB → bytes per part; 0, negative or nil means one part (soap-services.md §3.1)."""
    if size_kb is None:
        return None
    try:
        value = Decimal(str(size_kb))
    except InvalidOperation:
        return None
    size = int(value * 1024)
    return size if size > 0 else None


def part_count(total: int, part_size: int | None) -> int:
    """Number of parts of a ``total``-byte file; an empty file is still one (empty) part."""
    if part_size is None or total == 0:
        return 1
    return -(-total // part_size)


def split(data: bytes, part_size: int | None) -> list[bytes]:
    count = part_count(len(data), part_size)
    if part_size is None:
        return [data]
    return [data[i * part_size : (i + 1) * part_size] for i in range(count)]


def zip_message(write: Callable[[BinaryIO], None], entry_name: str, *, compresslevel: int) -> bytes:
    """ZIP what ``write`` produces as a single Deflate entry; the message is streamed, never held twice.

    The archive grows in a temporary file, not a ``BytesIO``: a growing buffer is copied on every reallocation and
    peaks at twice the archive, and the result is read back once at its exact size.
    """
    with tempfile.TemporaryFile() as spool:
        with (
            zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive,
            archive.open(entry_name, "w") as entry,
        ):
            write(entry)  # type: ignore[arg-type]
        spool.seek(0)
        return spool.read()


def exchange_entry_name() -> str:
    """``Message{<uuid>}.xml``, braces included: SSL31 ``ОбменДаннымиСервер.УникальноеИмяФайлаСообщенияОбмена``
    replaces ``GUID`` in the template ``Message{GUID}.xml`` with a new UUID."""
    return f"{EXCHANGE_ENTRY_PREFIX}{{{uuid.uuid4()}}}.xml"


SPOOL_IN_MEMORY = 1 << 20
"""A spooled file stays in memory up to this many bytes, then moves to a temporary file on disk."""
COPY_CHUNK = 1 << 20

ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
    ValueError,
    struct.error,
    OverflowError,
    KeyError,
    IndexError,
    UnicodeDecodeError,
)
"""What ``zipfile`` and ``zlib`` raise on a damaged or hostile archive (a CRC mismatch, a bad Deflate stream, a
negative offset, an encrypted or unsupported entry …): all of it is the archive error, never a 500."""


def spooled() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)


@dataclass(frozen=True)
class ArchiveLimits:
    max_message: int
    """Bytes the first entry may inflate to (``Limits.max_message_bytes``)."""
    max_ratio: int


def inflate_first_entry(archive_file: IO[bytes], limits: ArchiveLimits, into: IO[bytes] | None) -> int:
    """Inflate the first entry of the ZIP in ``archive_file`` into ``into`` (None: only check it), chunk by chunk,
    counting what really comes out: the sizes in the ZIP headers may lie. Returns the inflated size.

    Raises ``EmptyArchive``, ``ArchiveTooLarge`` (past ``limits.max_message`` or ``limits.max_ratio``) or
    ``ArchiveError`` with the ZIP library's text.
    """
    try:
        archive_file.seek(0)
        with zipfile.ZipFile(archive_file) as archive:
            infos = archive.infolist()
            if not infos:
                raise EmptyArchive()
            info = infos[0]
            if info.file_size > limits.max_message:
                raise ArchiveTooLarge(limits.max_message, info.file_size)
            if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                raise ArchiveTooLarge(limits.max_message, info.file_size, ratio=limits.max_ratio)
            total = 0
            with archive.open(info) as entry:
                while chunk := entry.read(COPY_CHUNK):
                    total += len(chunk)
                    if total > limits.max_message:
                        raise ArchiveTooLarge(limits.max_message, total)
                    if into is not None:
                        into.write(chunk)
            return total
    except ArchiveError:
        raise
    except EOFError as exc:
        raise ArchiveError("the archive is truncated") from exc
    except ZIP_ERRORS as exc:
        raise ArchiveError(str(exc) or type(exc).__name__) from exc


def open_message(archive_file: IO[bytes], limits: ArchiveLimits) -> IO[bytes]:
    """The first entry of the ZIP in ``archive_file``, inflated into a spooled temporary file (rewound); the caller
    closes it. Never more than ``limits.max_message`` bytes, and never more than 1 MiB of it in memory."""
    message = spooled()
    try:
        inflate_first_entry(archive_file, limits, message)
    except BaseException:
        message.close()
        raise
    message.seek(0)
    return message


def first_entry(data: bytes, limits: ArchiveLimits) -> bytes:
    """The first entry of a small in-memory ZIP (tests, the simulator's peers); large payloads use ``open_message``."""
    with open_message(io.BytesIO(data), limits) as message:
        return message.read()


@dataclass(frozen=True)
class OutgoingFile:
    """A slice-on-read outgoing transfer."""

    key: str
    part_count: int
    plan: str
    node_code: str


class TransferStore:
    """Stored files, outgoing transfers and incoming parts, in the database. One short transaction per call."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        expiry: dt.timedelta = dt.timedelta(hours=24),
        max_transfer_bytes: int | None = None,
        max_infobase_bytes: int | None = None,
    ) -> None:
        self.sessions = sessions
        self.expiry = expiry
        self.max_transfer_bytes = max_transfer_bytes
        self.max_infobase_bytes = max_infobase_bytes

    # -- 1C file storage (Exchange_2_0_1_6 UploadData → PrepareGetFile, SaveFileFromParts → DownloadData)

    def store_file(self, infobase_id: int, content: bytes, *, plan: str = "", node_code: str = "") -> uuid.UUID:
        file_id = uuid.uuid4()
        with self.sessions.begin() as session:
            session.add(
                StoredFile(id=file_id, infobase_id=infobase_id, content=content, plan=plan, node_code=node_code)
            )
        return file_id

    def take_file(self, infobase_id: int, file_id: uuid.UUID) -> StoredFile:
        """Take a file out of storage: the record is deleted, as 1C does (soap-services.md §3.1 PrepareGetFile)."""
        with self.sessions.begin() as session:
            stored = session.get(StoredFile, file_id)
            if stored is None or stored.infobase_id != infobase_id:
                raise FileNotFound(str(file_id))
            session.delete(stored)
            return stored

    # -- outgoing transfers (server → client)

    def put_outgoing(
        self, infobase_id: int, key: str, content: bytes, part_size: int | None, *, plan: str = "", node_code: str = ""
    ) -> OutgoingFile:
        count = part_count(len(content), part_size)
        with self.sessions.begin() as session:
            session.execute(
                delete(Transfer).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.OUTGOING,
                    Transfer.key == key,
                )
            )
            session.add(
                Transfer(
                    infobase_id=infobase_id,
                    direction=TransferDirection.OUTGOING,
                    key=key,
                    content=content,
                    part_size=part_size,
                    part_count=count,
                    plan=plan,
                    node_code=node_code,
                )
            )
        return OutgoingFile(key=key, part_count=count, plan=plan, node_code=node_code)

    def outgoing_part(self, infobase_id: int, key: str, part_no: int) -> bytes:
        """Part ``part_no`` (1-based), sliced in the database so a large file is never read whole."""
        with self.sessions() as session:
            row = session.execute(
                select(Transfer.id, Transfer.part_size, Transfer.part_count).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.OUTGOING,
                    Transfer.key == key,
                )
            ).one_or_none()
            if row is None or not 1 <= part_no <= row.part_count:
                raise PartNotFound(key, part_no)
            if row.part_size is None:
                data = session.execute(select(Transfer.content).where(Transfer.id == row.id)).scalar_one()
            else:
                start = (part_no - 1) * row.part_size + 1
                data = session.execute(
                    select(func.substr(Transfer.content, start, row.part_size)).where(Transfer.id == row.id)
                ).scalar_one()
            return bytes(data or b"")

    def release_outgoing(self, infobase_id: int, key: str) -> OutgoingFile | None:
        """Delete an outgoing transfer; an unknown key is not an error (ReleaseFile never faults)."""
        with self.sessions.begin() as session:
            transfer = session.execute(
                select(Transfer).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.OUTGOING,
                    Transfer.key == key,
                )
            ).scalar_one_or_none()
            if transfer is None:
                return None
            released = OutgoingFile(key, transfer.part_count, transfer.plan, transfer.node_code)
            session.delete(transfer)
            return released

    # -- incoming transfers (client → server)

    def put_incoming_part(self, infobase_id: int, key: str, part_no: int, data: bytes) -> None:
        """Store part ``part_no`` (1 or more); parts may come in any order, a resent part replaces the earlier one.

        The bytes go to the database as they came (one part, never the whole file, is in memory), within the
        per-transfer and per-infobase quotas."""
        if part_no < 1:
            raise InvalidPartNumber(key, part_no)
        with self.sessions.begin() as session:
            transfer = self._incoming(session, infobase_id, key)
            if transfer is None:
                transfer = Transfer(infobase_id=infobase_id, direction=TransferDirection.INCOMING, key=key)
                session.add(transfer)
                session.flush()
            else:
                session.execute(
                    delete(TransferPart).where(TransferPart.transfer_id == transfer.id, TransferPart.part_no == part_no)
                )
            self._check_quota(session, infobase_id, transfer, key, len(data))
            session.add(TransferPart(transfer_id=transfer.id, part_no=part_no, size=len(data), data=data))
        crashpoints.reached("part-stored")

    def _check_quota(self, session: Session, infobase_id: int, transfer: Transfer, key: str, adding: int) -> None:
        if self.max_transfer_bytes is not None:
            held = session.scalar(
                select(func.coalesce(func.sum(TransferPart.size), 0)).where(TransferPart.transfer_id == transfer.id)
            )
            if int(held or 0) + adding > self.max_transfer_bytes:
                raise TransferQuotaExceeded(key, "transfer", self.max_transfer_bytes)
        if self.max_infobase_bytes is not None:
            held = session.scalar(
                select(func.coalesce(func.sum(TransferPart.size), 0))
                .join(Transfer, Transfer.id == TransferPart.transfer_id)
                .where(Transfer.infobase_id == infobase_id, Transfer.direction != TransferDirection.OUTGOING)
            )
            if int(held or 0) + adding > self.max_infobase_bytes:
                raise TransferQuotaExceeded(key, "infobase", self.max_infobase_bytes)

    def join_incoming(self, infobase_id: int, key: str, expected: int | None, *, delete_parts: bool) -> IO[bytes]:
        """Parts ``1…expected`` (or ``1…K`` for the K parts stored) joined into a spooled temporary file (rewound,
        the caller closes it), read from the database one part at a time. ``delete_parts`` deletes the transfer in
        the same transaction (EDE ``PutData``); otherwise it stays for ``save_incoming``."""
        with self.sessions.begin() as session:
            transfer = self._incoming(session, infobase_id, key)
            if transfer is None:
                raise TransferNotFound(key)
            present = set(
                session.execute(select(TransferPart.part_no).where(TransferPart.transfer_id == transfer.id)).scalars()
            )
            wanted = expected if expected is not None else len(present)
            if wanted <= 0 and not present:
                raise TransferNotFound(key)
            for number in range(1, wanted + 1):
                if number not in present:
                    raise PartNotFound(key, number)
            joined = self._spool_parts(session, transfer.id, wanted)
            if delete_parts:
                session.delete(transfer)
            return joined

    def save_incoming(self, infobase_id: int, key: str, part_quantity: int) -> uuid.UUID:
        """``SaveFileFromParts``: the joined parts become a stored file, as they are (the ZIP, never its inflated
        message), under a new file id; ``take_upload`` hands them to ``DownloadData``."""
        file_id = uuid.uuid4()
        with self.sessions.begin() as session:
            transfer = self._incoming(session, infobase_id, key)
            if transfer is None:
                raise TransferNotFound(key)
            session.execute(
                delete(TransferPart).where(
                    TransferPart.transfer_id == transfer.id, TransferPart.part_no > part_quantity
                )
            )
            transfer.direction = TransferDirection.STORED
            transfer.key = str(file_id)
            transfer.part_count = part_quantity
        return file_id

    def take_upload(self, infobase_id: int, file_id: uuid.UUID) -> IO[bytes]:
        """Take a saved upload out of storage (the record is deleted, as 1C does): its ZIP in a spooled file."""
        with self.sessions.begin() as session:
            transfer = session.execute(
                select(Transfer).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.STORED,
                    Transfer.key == str(file_id),
                )
            ).scalar_one_or_none()
            if transfer is None:
                raise FileNotFound(str(file_id))
            joined = self._spool_parts(session, transfer.id, transfer.part_count)
            session.delete(transfer)
            return joined

    def _spool_parts(self, session: Session, transfer_id: int, count: int) -> IO[bytes]:
        joined = spooled()
        try:
            for number in range(1, count + 1):
                data = session.execute(
                    select(TransferPart.data).where(
                        TransferPart.transfer_id == transfer_id, TransferPart.part_no == number
                    )
                ).scalar_one()
                joined.write(data)
                del data
        except BaseException:
            joined.close()
            raise
        joined.seek(0)
        return joined

    def _incoming(self, session: Session, infobase_id: int, key: str) -> Transfer | None:
        return session.execute(
            select(Transfer).where(
                Transfer.infobase_id == infobase_id,
                Transfer.direction == TransferDirection.INCOMING,
                Transfer.key == key,
            )
        ).scalar_one_or_none()

    # -- expiry

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Delete files and transfers older than ``expiry`` (soap-services.md §6: default 24 h [I])."""
        cutoff = (now or utcnow()) - self.expiry
        with self.sessions.begin() as session:
            files = affected_rows(session.execute(delete(StoredFile).where(StoredFile.created_at < cutoff)))
            transfers = affected_rows(session.execute(delete(Transfer).where(Transfer.created_at < cutoff)))
        if files or transfers:
            logger.info("purged %s expired files and %s expired transfers", files, transfers)
        return int(files or 0) + int(transfers or 0)
