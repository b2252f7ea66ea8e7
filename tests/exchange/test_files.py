from __future__ import annotations

import io
import os
import zipfile

import pytest

from kassa_server.exchange.errors import ArchiveError, ArchiveTooLarge, EmptyArchive, PartNotFound, TransferNotFound
from kassa_server.exchange.files import ArchiveLimits, TransferStore, first_entry, part_count, part_size_bytes, split
from kassa_server.models.engine import make_engine, make_sessionmaker
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

        file_id = store.store_file(infobase, b"message")
        assert store.take_file(infobase, file_id).content == b"message"
    finally:
        engine.dispose()
