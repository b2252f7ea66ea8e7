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
from typing import IO, BinaryIO, cast

from sqlalchemy import Integer, String, Table, bindparam, delete, func, insert, select, update
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
from kassa_server.models.engine import affected_rows, read_only
from kassa_server.models.infobases import utcnow
from kassa_server.models.transfers import StoredFile, Transfer, TransferDirection, TransferPart

_DELETE_OUTGOING = delete(Transfer).where(
    Transfer.infobase_id == bindparam("infobase_id", type_=Integer),
    Transfer.direction == TransferDirection.OUTGOING,
    Transfer.key == bindparam("key", type_=String),
)
"""Statements of every download, built once (their cache keys too)."""
_INSERT_PART = insert(cast(Table, TransferPart.__table__))
"""A plain INSERT of a part (not the ORM's): the part is not read again in the session."""

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


def _compressor(deflater: str, compresslevel: int) -> object | None:
    """A raw-Deflate compressor of ``deflater`` at ``compresslevel``; None: keep the zipfile module's own (zlib)."""
    if deflater != "zlib-ng":
        return None
    try:
        from zlib_ng import zlib_ng
    except ImportError:  # pragma: no cover - a dependency; without its wheel the server still works on zlib
        logger.warning("zlib-ng is not installed: archives are deflated with zlib")
        return None
    return zlib_ng.compressobj(compresslevel, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)


def spool_zip(
    write: Callable[[BinaryIO], None], entry_name: str, *, compresslevel: int, deflater: str = "zlib"
) -> IO[bytes]:
    """ZIP what ``write`` produces as a single Deflate entry into a temporary file, rewound; the caller closes it.

    The message is streamed and never held, the archive never in memory. With ``deflater="zlib-ng"`` the entry's
    Deflate stream comes from zlib-ng at the same level (a standard raw Deflate stream; zipfile still writes the
    headers and the CRC): zipfile has no hook for another compressor, so the entry's one is replaced before the first
    byte, and if a later Python renames that attribute the stdlib's zlib simply stays in place.
    """
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned open to the caller
    try:
        with (
            zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive,
            archive.open(entry_name, "w") as entry,
        ):
            compressor = _compressor(deflater, compresslevel)
            if compressor is not None and hasattr(entry, "_compressor"):
                entry._compressor = compressor
            write(entry)  # type: ignore[arg-type]
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def zip_message(
    write: Callable[[BinaryIO], None], entry_name: str, *, compresslevel: int, deflater: str = "zlib"
) -> bytes:
    """``spool_zip``'s archive as bytes (tests and small messages; the services store the spooled file)."""
    with spool_zip(write, entry_name, compresslevel=compresslevel, deflater=deflater) as spool:
        return spool.read()


def exchange_entry_name() -> str:
    """``Message{<uuid>}.xml``, braces included: SSL31 ``ОбменДаннымиСервер.УникальноеИмяФайлаСообщенияОбмена``
    replaces ``GUID`` in the template ``Message{GUID}.xml`` with a new UUID."""
    return f"{EXCHANGE_ENTRY_PREFIX}{{{uuid.uuid4()}}}.xml"


STORE_CHUNK = 1 << 20
"""Bytes per stored row of an outgoing file: the SSL client's 1024 KB parts are then one row each."""
MIN_STORE_CHUNK = 64 * 1024


def chunk_size(part_size: int | None) -> int:
    """The storage chunk of an outgoing file with ``part_size``-byte parts: the part itself when it is between 64 KiB
    and ``STORE_CHUNK`` (each part one row, read without slicing), otherwise ``STORE_CHUNK``."""
    if part_size is not None and MIN_STORE_CHUNK <= part_size <= STORE_CHUNK:
        return part_size
    return STORE_CHUNK


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


CLIENT_DIRECTIONS = (TransferDirection.INCOMING, TransferDirection.STORED)
"""Transfers whose bytes a client sent: the infobase quota counts these, never the server's own exports."""


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

    # -- 1C file storage of exports (Exchange_2_0_1_6 UploadData → PrepareGetFile)

    def store_file(
        self, infobase_id: int, content: IO[bytes] | bytes, *, plan: str = "", node_code: str = ""
    ) -> uuid.UUID:
        """``UploadData``: put an export ZIP into the file storage under a new file id, read from ``content`` one
        storage chunk at a time (never whole in memory)."""
        file_id = uuid.uuid4()
        with self.sessions.begin() as session:
            self._store_chunks(
                session, infobase_id, TransferDirection.EXPORTED, str(file_id), content, None, plan, node_code
            )
        return file_id

    def take_file(self, infobase_id: int, file_id: uuid.UUID, key: str, part_size: int | None) -> OutgoingFile:
        """``PrepareGetFile``: take file ``file_id`` out of storage (it is gone from there, as in 1C: soap-services.md
        §3.1) as the outgoing transfer ``key`` cut into ``part_size`` parts. The stored row only changes its direction
        and key; its bytes stay where they are."""
        with self.sessions.begin() as session:
            row = session.execute(
                select(Transfer.id, Transfer.plan, Transfer.node_code).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.EXPORTED,
                    Transfer.key == str(file_id),
                )
            ).one_or_none()
            if row is None:
                raise FileNotFound(str(file_id))
            total = session.scalar(
                select(func.coalesce(func.sum(TransferPart.size), 0)).where(TransferPart.transfer_id == row.id)
            )
            count = part_count(int(total or 0), part_size)
            self._delete_outgoing(session, infobase_id, key)
            taken = session.execute(
                update(Transfer)
                .where(Transfer.id == row.id, Transfer.direction == TransferDirection.EXPORTED)
                .values(direction=TransferDirection.OUTGOING, key=key, part_size=part_size, part_count=count)
            )
            if affected_rows(taken) != 1:  # another call took it first
                raise FileNotFound(str(file_id))
        return OutgoingFile(key=key, part_count=count, plan=row.plan, node_code=row.node_code)

    # -- outgoing transfers (server → client)

    def put_outgoing(
        self,
        infobase_id: int,
        key: str,
        content: IO[bytes] | bytes,
        part_size: int | None,
        *,
        plan: str = "",
        node_code: str = "",
    ) -> OutgoingFile:
        """Store ``content`` (a file read one storage chunk at a time, or bytes) as the outgoing transfer ``key``."""
        with self.sessions.begin() as session:
            self._delete_outgoing(session, infobase_id, key)
            count = self._store_chunks(
                session, infobase_id, TransferDirection.OUTGOING, key, content, part_size, plan, node_code
            )
        return OutgoingFile(key=key, part_count=count, plan=plan, node_code=node_code)

    def _delete_outgoing(self, session: Session, infobase_id: int, key: str) -> None:
        session.execute(_DELETE_OUTGOING, {"infobase_id": infobase_id, "key": key})

    def _store_chunks(
        self,
        session: Session,
        infobase_id: int,
        direction: TransferDirection,
        key: str,
        content: IO[bytes] | bytes,
        part_size: int | None,
        plan: str,
        node_code: str,
    ) -> int:
        """A transfer row and its file as ``TransferPart`` chunks of ``chunk_size(part_size)`` bytes; the part count."""
        source = io.BytesIO(content) if isinstance(content, bytes | bytearray | memoryview) else content
        transfer = Transfer(
            infobase_id=infobase_id, direction=direction, key=key, part_size=part_size, plan=plan, node_code=node_code
        )
        session.add(transfer)
        session.flush()
        size = chunk_size(part_size)
        total = 0
        number = 0
        while chunk := source.read(size):
            number += 1
            total += len(chunk)
            session.execute(
                _INSERT_PART, {"transfer_id": transfer.id, "part_no": number, "size": len(chunk), "data": chunk}
            )
            del chunk
        transfer.part_count = part_count(total, part_size)
        return transfer.part_count

    def outgoing_part(self, infobase_id: int, key: str, part_no: int) -> bytes:
        """Part ``part_no`` (1-based), read from the storage chunks it spans: a large file is never read whole."""
        with self.sessions() as session:
            read_only(session)  # on SQLite it does not queue behind the writers
            first_chunk = (
                select(TransferPart.size)
                .where(TransferPart.transfer_id == Transfer.id, TransferPart.part_no == 1)
                .scalar_subquery()
            )
            row = session.execute(
                select(
                    Transfer.id,
                    Transfer.part_size,
                    Transfer.part_count,
                    Transfer.content.is_not(None).label("whole"),
                    first_chunk.label("chunk"),
                ).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.OUTGOING,
                    Transfer.key == key,
                )
            ).one_or_none()
            if row is None or not 1 <= part_no <= row.part_count:
                raise PartNotFound(key, part_no)
            if row.whole:  # stored whole by an earlier version
                return self._slice_whole(session, row.id, row.part_size, part_no)
            if row.chunk is None:  # an empty file: one empty part
                return b""
            return self._read_span(session, row.id, int(row.chunk), row.part_size, part_no)

    def _read_span(self, session: Session, transfer_id: int, chunk: int, part_size: int | None, part_no: int) -> bytes:
        if part_size is None:
            return b"".join(
                session.execute(
                    select(TransferPart.data)
                    .where(TransferPart.transfer_id == transfer_id)
                    .order_by(TransferPart.part_no)
                ).scalars()
            )
        start = (part_no - 1) * part_size
        end = start + part_size
        pieces = []
        for index in range(start // chunk, (end - 1) // chunk + 1):
            offset = index * chunk
            lo, hi = max(start - offset, 0), min(end - offset, chunk)
            data = TransferPart.data if lo == 0 and hi == chunk else func.substr(TransferPart.data, lo + 1, hi - lo)
            piece = session.execute(
                select(data).where(TransferPart.transfer_id == transfer_id, TransferPart.part_no == index + 1)
            ).scalar_one_or_none()
            if piece is None:  # past the last chunk: the last part is shorter
                break
            pieces.append(bytes(piece))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _slice_whole(self, session: Session, transfer_id: int, part_size: int | None, part_no: int) -> bytes:
        if part_size is None:
            data = session.execute(select(Transfer.content).where(Transfer.id == transfer_id)).scalar_one()
        else:
            start = (part_no - 1) * part_size + 1
            data = session.execute(
                select(func.substr(Transfer.content, start, part_size)).where(Transfer.id == transfer_id)
            ).scalar_one()
        return bytes(data or b"")

    def release_outgoing(self, infobase_id: int, key: str) -> OutgoingFile | None:
        """Delete an outgoing transfer; an unknown key is not an error (ReleaseFile never faults)."""
        with self.sessions.begin() as session:
            row = session.execute(
                select(Transfer.id, Transfer.part_count, Transfer.plan, Transfer.node_code).where(
                    Transfer.infobase_id == infobase_id,
                    Transfer.direction == TransferDirection.OUTGOING,
                    Transfer.key == key,
                )
            ).one_or_none()
            if row is None:
                return None
            session.execute(delete(Transfer).where(Transfer.id == row.id))  # its chunks go with it (ON DELETE CASCADE)
            return OutgoingFile(key, row.part_count, row.plan, row.node_code)

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
                held = 0  # a new transfer holds nothing yet
            else:
                session.execute(
                    delete(TransferPart).where(TransferPart.transfer_id == transfer.id, TransferPart.part_no == part_no)
                )
                held = None
            self._check_quota(session, infobase_id, transfer, key, len(data), transfer_holds=held)
            session.execute(  # a plain INSERT: the part is not read again in this session
                _INSERT_PART, {"transfer_id": transfer.id, "part_no": part_no, "size": len(data), "data": data}
            )
        crashpoints.reached("part-stored")

    def _check_quota(
        self,
        session: Session,
        infobase_id: int,
        transfer: Transfer,
        key: str,
        adding: int,
        *,
        transfer_holds: int | None = None,
    ) -> None:
        """Refuse ``adding`` bytes over a quota; ``transfer_holds``: what the transfer holds, when known."""
        if self.max_transfer_bytes is not None:
            held = transfer_holds
            if held is None:
                held = session.scalar(
                    select(func.coalesce(func.sum(TransferPart.size), 0)).where(TransferPart.transfer_id == transfer.id)
                )
            if int(held or 0) + adding > self.max_transfer_bytes:
                raise TransferQuotaExceeded(key, "transfer", self.max_transfer_bytes)
        if self.max_infobase_bytes is not None:
            held = session.scalar(
                select(func.coalesce(func.sum(TransferPart.size), 0))
                .join(Transfer, Transfer.id == TransferPart.transfer_id)
                .where(Transfer.infobase_id == infobase_id, Transfer.direction.in_(CLIENT_DIRECTIONS))
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
