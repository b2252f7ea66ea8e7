from __future__ import annotations

import io
import os
import zipfile

import pytest

from kassa_server.exchange.errors import (
    ArchiveError,
    ArchiveTooLarge,
    EmptyArchive,
    FileNotFound,
    PartNotFound,
    TransferNotFound,
    TransferQuotaExceeded,
)
from kassa_server.exchange.files import (
    ArchiveLimits,
    TransferStore,
    first_entry,
    part_count,
    part_size_bytes,
    split,
    spool_zip,
)
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.transfers import Transfer, TransferDirection
from tests.soap_support import make_infobase, zip_bytes

LIMITS = ArchiveLimits(max_message=1 << 20, max_ratio=200)


@pytest.mark.parametrize(
    ("kb", "expected"), [(0, None), (None, None), (-1, None), (1, 1024), ("0.5", 512), (1024, 1 << 20)]
)
def test_part_size_in_kb(kb: object, expected: int | None) -> None:
    assert part_size_bytes(kb) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 4096])
def test_split_is_byte_exact_with_only_the_last_part_shorter(size: int) -> None:
    data = os.urandom(size)
    parts = split(data, 1024)
    assert b"".join(parts) == data and len(parts) == part_count(size, 1024)
    assert all(len(p) == 1024 for p in parts[:-1])
    assert split(data, None) == [data]


def test_first_entry_whatever_its_name_and_the_limits() -> None:
    assert first_entry(zip_bytes([("anything.bin", b"first"), ("data.xml", b"second")]), LIMITS) == b"first"
    with pytest.raises(EmptyArchive):
        first_entry(zip_bytes([]), LIMITS)
    with pytest.raises(ArchiveError):
        first_entry(b"not a zip", LIMITS)
    with pytest.raises(ArchiveTooLarge):
        first_entry(zip_bytes([("bomb.xml", b"\0" * (2 << 20))]), LIMITS)
    with pytest.raises(ArchiveTooLarge):  # ratio
        first_entry(zip_bytes([("bomb.xml", b"\0" * 500_000)], level=9), LIMITS)
    lying = io.BytesIO()
    with zipfile.ZipFile(lying, "w") as archive:
        archive.writestr("x", b"abc")
    assert first_entry(lying.getvalue(), LIMITS) == b"abc"


def test_transfer_store_round_trip(db_url: str) -> None:
    infobase = make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        store = TransferStore(make_sessionmaker(engine))
        data = os.urandom(3000)
        outgoing = store.put_outgoing(infobase, "t1", data, 1024, plan="p", node_code="n")
        assert outgoing.part_count == 3
        assert b"".join(store.outgoing_part(infobase, "t1", n) for n in (1, 2, 3)) == data
        with pytest.raises(PartNotFound):
            store.outgoing_part(infobase, "t1", 4)
        assert store.release_outgoing(infobase, "t1") is not None
        assert store.release_outgoing(infobase, "t1") is None

        store.put_incoming_part(infobase, "in", 2, b"world")
        store.put_incoming_part(infobase, "in", 1, b"hello ")
        store.put_incoming_part(infobase, "in", 1, b"HELLO ")  # a resent part replaces the earlier one
        with store.join_incoming(infobase, "in", None, delete_parts=True) as joined:
            assert joined.read() == b"HELLO world"
        with pytest.raises(TransferNotFound):
            store.join_incoming(infobase, "in", None, delete_parts=True)
        store.put_incoming_part(infobase, "gap", 2, b"x")
        with pytest.raises(PartNotFound):
            store.join_incoming(infobase, "gap", 2, delete_parts=False)

        file_id = store.store_file(infobase, io.BytesIO(b"message"), plan="p", node_code="n")
        taken = store.take_file(infobase, file_id, "t2", None)
        assert (taken.part_count, taken.plan, taken.node_code) == (1, "p", "n")
        assert store.outgoing_part(infobase, "t2", 1) == b"message"
        with pytest.raises(FileNotFound):  # taken out of storage, as 1C does
            store.take_file(infobase, file_id, "t3", None)
    finally:
        engine.dispose()


def test_an_outgoing_file_is_cut_into_exact_parts_whatever_its_storage_chunks(db_url: str) -> None:
    """Stored in chunks (the part itself between 64 KiB and 1 MiB, else 1 MiB), read back as byte-exact parts, only
    the last one shorter; an export taken out of storage later, with a part size the chunks did not know."""
    infobase = make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        store = TransferStore(make_sessionmaker(engine))
        for size in (0, 1, 70_000, (1 << 20) - 1, 1 << 20, (3 << 20) + 5):
            data = os.urandom(size)
            for part_kb in (None, 1, 64, 100, 1024, 1500, 4096):
                if part_kb == 1 and size > 70_000:
                    continue  # 1 KiB parts divide the 1 MiB chunks: thousands of reads that cross no boundary
                part_size = part_size_bytes(part_kb)
                key = f"{size}-{part_kb}"
                direct = store.put_outgoing(infobase, key, io.BytesIO(data), part_size)
                file_id = store.store_file(infobase, io.BytesIO(data))
                taken = store.take_file(infobase, file_id, key + "-taken", part_size)
                for outgoing in (direct, taken):
                    assert outgoing.part_count == part_count(size, part_size), key
                    numbers = range(1, outgoing.part_count + 1)
                    parts = [store.outgoing_part(infobase, outgoing.key, n) for n in numbers]
                    assert parts == split(data, part_size), key
                    assert store.release_outgoing(infobase, outgoing.key) is not None
    finally:
        engine.dispose()


def test_an_outgoing_file_stored_whole_by_an_earlier_version_is_still_served(db_url: str) -> None:
    infobase = make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        sessions = make_sessionmaker(engine)
        data = os.urandom(3000)
        with sessions.begin() as session:
            session.add(
                Transfer(
                    infobase_id=infobase,
                    direction=TransferDirection.OUTGOING,
                    key="old",
                    content=data,
                    part_size=1024,
                    part_count=3,
                )
            )
        store = TransferStore(sessions)
        assert [store.outgoing_part(infobase, "old", n) for n in (1, 2, 3)] == split(data, 1024)
        assert store.release_outgoing(infobase, "old") is not None
    finally:
        engine.dispose()


def test_exports_in_storage_do_not_count_against_the_clients_quota(db_url: str) -> None:
    infobase = make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        store = TransferStore(make_sessionmaker(engine), max_transfer_bytes=1000, max_infobase_bytes=1500)
        store.store_file(infobase, io.BytesIO(b"x" * 5000))
        store.put_outgoing(infobase, "out", b"y" * 5000, None)
        store.put_incoming_part(infobase, "in", 1, b"z" * 1000)
        with pytest.raises(TransferQuotaExceeded):
            store.put_incoming_part(infobase, "in2", 1, b"z" * 600)
    finally:
        engine.dispose()


def test_spool_zip_deflates_with_either_implementation_at_the_given_level() -> None:
    message = b"".join(b"<Item><Name>%d</Name></Item>" % n for n in range(20_000))
    sizes = {}
    for deflater in ("zlib-ng", "zlib"):
        with spool_zip(lambda out: out.write(message), "data.xml", compresslevel=9, deflater=deflater) as spool:
            payload = spool.read()
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:  # the stdlib reads it, CRC checked
            info = archive.infolist()[0]
            assert archive.read(info) == message and info.compress_type == zipfile.ZIP_DEFLATED
        sizes[deflater] = len(payload)
    # the two implementations produce different (both valid) Deflate streams: zlib-ng was really used
    assert sizes["zlib-ng"] != sizes["zlib"]
