"""The two client call sequences of soap-services.md §10, end to end over real HTTP, at part boundaries."""

from __future__ import annotations

import io
import os
import uuid
import zipfile

import pytest

from tests.soap_support import NODE, PLAN, SoapServer, bind, unzip_first, zeep_client

KB = 1024


def zip_of_size(size: int, message: bytes = b"<Message/>") -> bytes:
    """A ZIP of exactly ``size`` bytes whose first entry is ``message`` (padded with stored noise and a comment)."""
    base = io.BytesIO()
    with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", message)
    room = size - len(base.getvalue()) - 200
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("data.xml"), message, compress_type=zipfile.ZIP_DEFLATED)
        if room > 0:
            archive.writestr(zipfile.ZipInfo("padding.bin"), os.urandom(max(room - 65000, 0)))
        archive.comment = b""
    missing = size - len(buffer.getvalue())
    assert 0 <= missing <= 65535, missing
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = b"x" * missing
    data = buffer.getvalue()
    assert len(data) == size
    return data


def split(data: bytes, size_kb: int) -> list[bytes]:
    if size_kb == 0:
        return [data]
    step = size_kb * KB
    return [data[i : i + step] for i in range(0, len(data), step)]


CASES = [(0, 3000), (1, 1023), (1, 1024), (1, 1025), (1, 2048), (1024, 1024 * KB), (1024, 1024 * KB + 1)]


@pytest.mark.parametrize(("chunk_kb", "size"), CASES)
def test_ssl_client_over_exchange_2_0_1_6(soap_server: SoapServer, chunk_kb: int, size: int) -> None:
    """§10.1: GetVersions, Ping, receive (UploadData … ReleaseFile), then send (TestConnection … DownloadData)."""
    gateway = soap_server.gateway
    gateway.outbound = b"<Message>" + os.urandom(size).hex().encode()[:size] + b"</Message>"
    versions = bind(zeep_client(soap_server, "InterfaceVersion"), "InterfaceVersion")
    assert "2.0.1.6" in versions.GetVersions("ОбменДанными")
    svc = bind(zeep_client(soap_server, "Exchange_2_0_1_6"), "Exchange_2_0_1_6")
    svc.Ping()

    upload = svc.UploadData(PLAN, NODE, "", False, "", True)
    assert upload["ContinuousOperation"] is False
    prepared = svc.PrepareGetFile(upload["FileID"], chunk_kb)
    parts = [svc.GetFilePart(prepared["TransferId"], n)["PartData"] for n in range(1, prepared["PartQuantity"] + 1)]
    svc.ReleaseFile(prepared["TransferId"])
    joined = b"".join(parts)
    if chunk_kb:
        assert all(len(p) == chunk_kb * KB for p in parts[:-1]) and 0 < len(parts[-1]) <= chunk_kb * KB
        assert len(parts) == -(-len(joined) // (chunk_kb * KB))
    else:
        assert len(parts) == 1
    assert unzip_first(joined)[1] == gateway.outbound

    assert svc.TestConnection(PLAN, NODE)["return"] is True
    payload = zip_of_size(size if size > 400 else 400, message="<Message>от кассы</Message>".encode())
    transfer = str(uuid.uuid4())
    pieces = split(payload, chunk_kb)
    for number, piece in enumerate(pieces, start=1):
        svc.PutFilePart(transfer, number, piece)
    saved = svc.SaveFileFromParts(transfer, len(pieces))
    svc.DownloadData(PLAN, NODE, str(saved["FileId"]), False, "", False)
    assert gateway.imported == [(PLAN, NODE, "<Message>от кассы</Message>".encode())]


@pytest.mark.parametrize(("chunk_kb", "size"), CASES)
def test_external_client_over_enterprisedata_exchange(soap_server: SoapServer, chunk_kb: int, size: int) -> None:
    """§10.2: Ping, TestConnection, receive (PrepareDataForGetting … ConfirmGettingFile), send (PutFilePart …)."""
    gateway = soap_server.gateway
    gateway.outbound = b"<Message>" + os.urandom(size).hex().encode()[:size] + b"</Message>"
    svc = bind(zeep_client(soap_server, "EnterpriseDataExchange_1_0_1_1"), "EnterpriseDataExchange_1_0_1_1")
    svc.Ping()
    assert svc.TestConnection(PLAN, NODE)["return"] is True

    operation = svc.PrepareDataForGetting(PLAN, NODE, chunk_kb)["OperationID"]
    result = svc.PrepareDataActionResult(operation)["return"]
    while result["Status"] == "Active":
        result = svc.PrepareDataActionResult(operation)["return"]
    assert result["Status"] == "Completed"
    parts = [svc.GetDataPart(result["FileID"], n)["return"] for n in range(1, result["PartCount"] + 1)]
    svc.ConfirmGettingFile(result["FileID"], True)
    assert unzip_first(b"".join(parts)) == ("data.xml", gateway.outbound)

    payload = zip_of_size(size if size > 400 else 400, message=b"<Message>up</Message>")
    file_id = str(uuid.uuid4())
    pieces = split(payload, chunk_kb)
    for number, piece in enumerate(pieces, start=1):
        # NET sends a single-part file as part 0 [V]
        svc.PutFilePart(file_id, 0 if len(pieces) == 1 else number, piece)
    operation = svc.PutData(PLAN, NODE, file_id)["OperationID"]
    status = svc.PutDataActionResult(operation)["return"]
    assert status == "Completed"
    assert gateway.imported == [(PLAN, NODE, b"<Message>up</Message>")]
