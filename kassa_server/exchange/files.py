"""Files in transit: ZIP in and out with size and ratio limits, cutting into parts and joining them.

Parts are raw byte slices of the ZIP at exact boundaries, only the last one shorter (soap-services.md §6 [V]). The
first ZIP entry is the message, whatever its name. The database side (``TransferStore``) keeps transfers, parts and
stored files so that any worker process answers any call.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.exchange.errors import (
    ArchiveError,
    ArchiveTooLarge,
    EmptyArchive,
    FileNotFound,
    PartNotFound,
    TransferNotFound,
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


@dataclass(frozen=True)
class ArchiveLimits:
    max_unzipped: int
    max_ratio: int


def first_entry(data: bytes, limits: ArchiveLimits) -> bytes:
    """The first entry of a ZIP payload, read with size and compression-ratio limits (zip bombs)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ArchiveError(str(exc)) from exc
    with archive:
        infos = archive.infolist()
        if not infos:
            raise EmptyArchive()
        info = infos[0]
        if info.file_size > limits.max_unzipped:
            raise ArchiveTooLarge(f"the message inflates to {info.file_size} bytes, over {limits.max_unzipped}")
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            raise ArchiveTooLarge(f"compression ratio {info.file_size // info.compress_size} over {limits.max_ratio}")
        out = io.BytesIO()
        try:
            with archive.open(info) as entry:
                # the header sizes may lie: read in bounded chunks and count what really comes out
                shutil.copyfileobj(_Bounded(entry, limits.max_unzipped), out)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise ArchiveError(str(exc)) from exc
        except EOFError as exc:
            raise ArchiveError("the archive is truncated") from exc
        return out.getvalue()


class _Bounded:
    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.read_so_far = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size if size > 0 else 1 << 20)
        self.read_so_far += len(chunk)
        if self.read_so_far > self.limit:
            raise ArchiveTooLarge(f"the message inflates past {self.limit} bytes")
        return chunk


@dataclass(frozen=True)
class OutgoingFile:
    """A slice-on-read outgoing transfer."""

    key: str
    part_count: int
    plan: str
    node_code: str


class TransferStore:
    """Stored files, outgoing transfers and incoming parts, in the database. One short transaction per call."""

    def __init__(self, sessions: sessionmaker[Session], *, expiry: dt.timedelta = dt.timedelta(hours=24)) -> None:
        self.sessions = sessions
        self.expiry = expiry

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
        """Store part ``part_no``; parts may come in any order, a resent part replaces the earlier one."""
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
            session.add(TransferPart(transfer_id=transfer.id, part_no=part_no, data=data))

    def join_incoming(self, infobase_id: int, key: str, expected: int | None) -> bytes:
        """Join parts ``1…expected`` (or ``1…K`` for the K parts stored) and delete the transfer."""
        with self.sessions.begin() as session:
            transfer = self._incoming(session, infobase_id, key)
            if transfer is None:
                raise TransferNotFound(key)
            numbers = session.execute(
                select(TransferPart.part_no)
                .where(TransferPart.transfer_id == transfer.id)
                .order_by(TransferPart.part_no)
            ).scalars()
            present = set(numbers)
            wanted = expected if expected is not None else len(present)
            if wanted <= 0 and not present:
                raise TransferNotFound(key)
            for number in range(1, wanted + 1):
                if number not in present:
                    raise PartNotFound(key, number)
            buffer = io.BytesIO()
            for number in range(1, wanted + 1):
                buffer.write(
                    session.execute(
                        select(TransferPart.data).where(
                            TransferPart.transfer_id == transfer.id, TransferPart.part_no == number
                        )
                    ).scalar_one()
                )
            session.delete(transfer)
            return buffer.getvalue()

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
