"""Hostile transfers (issue 14, items 8–10): huge messages, huge or misnumbered parts, damaged ZIPs.

Each answer is the 1C one (a Fault with the text of services/faults.py), never a generic 500, and nothing is inflated
into memory or into a database blob.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

import httpx
import pytest
import zeep.exceptions
from sqlalchemy import func, select

from kassa_server.exchange.interface import ImportOutcome
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.transfers import StoredFile, Transfer, TransferPart
from kassa_server.services import faults
from kassa_server.settings import Limits, Settings
from tests.soap_support import NODE, PLAN, FakeGateway, SoapServer, bind, start_server, zeep_client, zip_bytes

EXCHANGE = "Exchange_2_0_1_6"
EDE = "EnterpriseDataExchange_1_0_1_1"
MIB = 1 << 20


class StreamingGateway(FakeGateway):
    """Reads the message as the real gateway does, in chunks, and keeps only its size and digest."""

    def import_message(self, infobase: str, plan: str, node_code: str, message: BinaryIO) -> ImportOutcome:
        self.check_node(infobase, plan, node_code)
        sha, size = hashlib.sha256(), 0
        while chunk := message.read(MIB):
            sha.update(chunk)
            size += len(chunk)
        self.imported.append((plan, node_code, f"{size}:{sha.hexdigest()}".encode()))
        return ImportOutcome(message_no=len(self.imported))


def server_with(db_url: str, gateway: FakeGateway | None = None, **limits: Any) -> Iterator[SoapServer]:
    yield from start_server(db_url, Settings(limits=Limits(**limits)), gateway)


def noise(size: int) -> bytes:
    """Text that deflates about 2:1, far from any ratio limit."""
    return os.urandom(size // 2 + 1).hex().encode()[:size]


def big_message_zip(size: int) -> bytes:
    """A ZIP whose entry inflates to ``size`` bytes at about 120:1 (under the 200:1 ratio limit)."""
    block = b"".join(b"y" * 600 + os.urandom(2).hex().encode() + b" " for _ in range(1600))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("data.xml", "w") as entry:
        written = 0
        while written < size:
            piece = block[: size - written]
            entry.write(piece)
            written += len(piece)
    return out.getvalue()


def upload_exchange(svc: Any, payload: bytes, part: int = MIB) -> Any:
    transfer = str(uuid.uuid4())
    pieces = [payload[i : i + part] for i in range(0, len(payload), part)] or [b""]
    for number, piece in enumerate(pieces, start=1):
        svc.PutFilePart(transfer, number, piece)
    return svc.SaveFileFromParts(transfer, len(pieces))


def upload_ede(svc: Any, payload: bytes) -> Any:
    file_id = str(uuid.uuid4())
    svc.PutFilePart(file_id, 1, payload)
    return svc.PutData(PLAN, NODE, file_id)


def services(server: SoapServer) -> tuple[Any, Any]:
    return (
        bind(zeep_client(server, EXCHANGE), EXCHANGE),
        bind(zeep_client(server, EDE), EDE),
    )


# --- item 8: the message cap ---------------------------------------------------------------------------------------


def test_a_message_over_the_cap_gets_the_archive_error_on_both_services(db_url: str) -> None:
    """Before: no such setting (the 1 GiB default inflated in memory); after: the 1C-style archive Fault."""
    for server in server_with(db_url, max_message_bytes=MIB):
        exchange, ede = services(server)
        payload = zip_bytes([("data.xml", noise(MIB + 1))])
        with pytest.raises(zeep.exceptions.Fault) as caught:
            upload_exchange(exchange, payload)
        assert caught.value.message == faults.archive_too_large(MIB)
        with pytest.raises(zeep.exceptions.Fault) as caught:
            upload_ede(ede, payload)
        assert caught.value.message == faults.archive_too_large(MIB)
        assert server.gateway.imported == []
        saved = upload_exchange(exchange, zip_bytes([("data.xml", noise(MIB))]))  # exactly the cap: accepted
        exchange.DownloadData(PLAN, NODE, str(saved["FileId"]), False, "", False)
        assert len(server.gateway.imported) == 1


def test_an_upload_is_stored_zipped_and_inflated_outside_memory(sqlite_url: str) -> None:
    """A 48 MiB message (0.4 MiB zipped) through SaveFileFromParts and DownloadData: before, SaveFileFromParts put the
    inflated message into a blob (48 MiB in exchange_files) and Python allocations peaked at 54 MiB; after, the ZIP
    stays in its parts and the inflated message goes through a temporary file (peak 6 MiB)."""
    size = 48 * MIB
    gateway = StreamingGateway()
    for server in server_with(sqlite_url, gateway):
        exchange, _ = services(server)
        payload = big_message_zip(size)
        tracemalloc.start()
        try:
            saved = upload_exchange(exchange, payload)
            engine = make_engine(sqlite_url)
            try:
                with make_sessionmaker(engine)() as session:
                    blobs = session.scalar(select(func.coalesce(func.sum(func.length(StoredFile.content)), 0)))
                    kept = session.scalar(select(func.coalesce(func.sum(func.length(TransferPart.data)), 0)))
            finally:
                engine.dispose()
            exchange.DownloadData(PLAN, NODE, str(saved["FileId"]), False, "", False)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert blobs == 0 and kept == len(payload)
        assert gateway.imported[0][2].startswith(f"{size}:".encode())
        assert peak < 24 * MIB, f"Python allocations peaked at {peak / MIB:.0f} MiB for a {size // MIB} MiB message"


# --- item 9: quotas and purging ------------------------------------------------------------------------------------


def test_parts_are_held_within_the_transfer_and_infobase_quotas(db_url: str) -> None:
    for server in server_with(db_url, max_transfer_bytes=10_000, max_infobase_transfer_bytes=25_000):
        exchange, ede = services(server)
        first = str(uuid.uuid4())
        exchange.PutFilePart(first, 1, b"a" * 6000)
        exchange.PutFilePart(first, 1, b"b" * 6000)  # a resent part replaces, it does not count twice
        with pytest.raises(zeep.exceptions.Fault) as caught:
            exchange.PutFilePart(first, 2, b"c" * 6000)
        assert caught.value.message == faults.transfer_quota_exceeded("transfer", 10_000)
        ede.PutFilePart("second", 1, b"d" * 9000)
        ede.PutFilePart("third", 1, b"e" * 9000)
        with pytest.raises(zeep.exceptions.Fault) as caught:
            ede.PutFilePart("fourth", 1, b"f" * 2000)
        assert caught.value.message == faults.transfer_quota_exceeded("infobase", 25_000)
        exchange.PutFilePart(first, 2, b"g" * 1000)  # within both quotas: still accepted


def test_expired_transfers_are_purged_while_the_server_runs(db_url: str) -> None:
    """Before: purged only at start, so the part stays; after: the background task deletes it."""
    for server in server_with(db_url, transfer_expiry_seconds=0, purge_interval_seconds=1):
        exchange, _ = services(server)
        exchange.PutFilePart(str(uuid.uuid4()), 1, b"orphan")
        engine = make_engine(db_url)
        try:
            deadline = time.monotonic() + 60
            while True:
                with make_sessionmaker(engine)() as session:
                    left = session.scalar(select(func.count()).select_from(Transfer))
                if left == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            engine.dispose()
        assert left == 0


# --- item 10: part numbers and damaged archives --------------------------------------------------------------------


@pytest.mark.parametrize("service", [EXCHANGE, EDE])
def test_a_negative_part_number_is_a_client_fault_and_overwrites_nothing(soap_server: SoapServer, service: str) -> None:
    svc = bind(zeep_client(soap_server, service), service)
    key = str(uuid.uuid4())
    good = zip_bytes([("data.xml", b"<Message>good</Message>")])
    svc.PutFilePart(key, 1, good)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        svc.PutFilePart(key, -1, b"garbage")
    assert caught.value.code.endswith("Client")
    assert caught.value.message == faults.invalid_part_number(-1)
    if service == EXCHANGE:
        saved = svc.SaveFileFromParts(key, 1)
        svc.DownloadData(PLAN, NODE, str(saved["FileId"]), False, "", False)
    else:
        assert svc.PutDataActionResult(svc.PutData(PLAN, NODE, key)["OperationID"])["return"] == "Completed"
    assert soap_server.gateway.imported == [(PLAN, NODE, b"<Message>good</Message>")]


def _damaged_deflate() -> bytes:
    data = bytearray(zip_bytes([("data.xml", noise(4000))]))
    for index in range(40, 60):  # inside the Deflate stream, after the 38-byte local header
        data[index] ^= 0xFF
    return bytes(data)


def _negative_central_directory() -> bytes:
    data = bytearray(zip_bytes([("data.xml", b"<Message/>")]))
    end = data.rfind(b"PK\x05\x06")
    data[end + 16 : end + 20] = struct.pack("<I", 0xFFFFFF00)
    return bytes(data)


def _unsupported_method() -> bytes:
    data = bytearray(zip_bytes([("data.xml", b"<Message/>")]))
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack("<I", data[end + 16 : end + 20])[0]
    data[directory + 10 : directory + 12] = struct.pack("<H", 99)
    return bytes(data)


DAMAGED = {
    "zlib.error": _damaged_deflate,
    "ValueError": _negative_central_directory,
    "NotImplementedError": _unsupported_method,
    "BadZipFile": lambda: b"PK\x03\x04 not really a zip",
}


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_zip_gets_the_archive_error(soap_server: SoapServer, kind: str) -> None:
    """Before: zlib.error and ValueError escaped as the generic 500 text."""
    exchange, ede = services(soap_server)
    payload = DAMAGED[kind]()
    for upload in (upload_exchange, upload_ede):
        with pytest.raises(zeep.exceptions.Fault) as caught:
            upload(exchange if upload is upload_exchange else ede, payload)
        assert caught.value.message.startswith(faults.archive_unreadable("")), caught.value.message
        assert caught.value.code.endswith("Server")
    assert soap_server.gateway.imported == []


def test_a_large_part_costs_a_few_copies_not_one_pointer_per_character(sqlite_url: str) -> None:
    """An 8 MiB part: before, spyne's base64 decoding joined the text character by character and Python allocations
    peaked at 16× the part; after, 5× (the body, its text, the decoded bytes and the transport's join)."""
    size = 8 * MIB
    for server in server_with(sqlite_url):
        part = base64.b64encode(os.urandom(size)).decode()
        body = (
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:m="http://www.1c.ru/SSL/Exchange_2_0_1_6"><s:Body><m:PutFilePart>'
            f"<m:TransferId>{uuid.uuid4()}</m:TransferId><m:PartNumber>1</m:PartNumber>"
            f"<m:PartData>{part}</m:PartData></m:PutFilePart></s:Body></s:Envelope>"
        ).encode()
        del part
        with httpx.Client(auth=server.auth, timeout=120) as client:
            client.post(server.url(), content=b"<x/>", headers={"content-type": "text/xml"})  # warm up the app
            tracemalloc.start()
            try:
                start, _ = tracemalloc.get_traced_memory()
                response = client.post(server.url(), content=body, headers={"content-type": "text/xml"})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert response.status_code == 200, response.text
        assert peak - start < 8 * size, f"Python allocations peaked at {(peak - start) / size:.1f}× the part"
