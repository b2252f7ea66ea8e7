"""Verification over the API while a simulated device syncs: waiting until, call counts, journal, documents."""

from __future__ import annotations

import base64
import io
import threading
import zipfile

import httpx
import pytest

from kassa_server.pytest_plugin import KassaApiError, KassaServer
from kassa_server.simulator import Device, DeviceConfig, parse_qr


def test_wait_until_what_the_device_did_and_count_its_calls(kassa_server: KassaServer) -> None:
    device = Device(DeviceConfig(parse_qr(kassa_server.qr(), kassa_server.password), poll_interval=0.01, seed=3))
    fn = kassa_server.device
    try:
        device.sync()
        device.open_shift()
        device.sell(card=False)
        device.sell(card=True)
        # the test blocks on the server while the device works in another thread
        worker = threading.Thread(target=device.sync)
        worker.start()
        assert kassa_server.wait_until("receipts", count=2, device=fn, timeout=30) == 2
        worker.join()
        device.sync()  # acknowledges the server's second message
    finally:
        device.close()

    assert kassa_server.wait_until("calls", count=3, operation="PutData", device=fn) == 3
    assert kassa_server.wait_until("shifts", device=fn) == 1
    assert kassa_server.wait_until("received", count=3, device=fn) == 3
    assert kassa_server.wait_until("acknowledged", count=2, device=fn) >= 2
    with pytest.raises(KassaApiError) as timeout:
        kassa_server.wait_until("receipts", count=3, device=fn, timeout=0.2)
    assert timeout.value.status == 408 and timeout.value.code == "timeout"
    assert "receipts is 2" in timeout.value.message

    counts = kassa_server.calls_by_operation(device=fn)
    assert counts["PutData"] == 3 and counts["PrepareDataForGetting"] == 3
    assert kassa_server.calls(operation="PutData", device=fn) == 3
    assert kassa_server.calls(device="someone-else") == 0
    entries = kassa_server.journal(operation="PutData", bodies=True)
    assert len(entries) == 3 and all(e["device"] == fn and e["outcome"] == "ok" for e in entries)
    assert "PutData" in (entries[0]["request"] or "")
    assert {r["device"] for r in kassa_server.receipts()} == {fn}
    shift = kassa_server.shifts(device=fn)[0]
    assert shift["device"] == fn and shift["opened_at"] is not None
    assert kassa_server.request("GET", "/infobases/kassa/cash-operations") == []


def test_wait_needs_a_device_for_message_numbers(kassa_server: KassaServer) -> None:
    with pytest.raises(KassaApiError) as caught:
        kassa_server.wait_until("acknowledged", count=1)
    assert caught.value.status == 422
    with pytest.raises(KassaApiError) as missing:
        kassa_server.request("POST", "/infobases/nope/wait", json={"until": "receipts"})
    assert missing.value.status == 404


def test_the_journal_decodes_the_messages_object_by_object(kassa_server: KassaServer) -> None:
    device = Device(DeviceConfig(parse_qr(kassa_server.qr(), kassa_server.password), poll_interval=0.01, seed=5))
    try:
        device.sync()
        device.open_shift()
        device.sell(card=False)
        device.sync()
    finally:
        device.close()
    [download, _] = kassa_server.journal(operation="GetDataPart")
    [sent] = kassa_server.request("GET", f"/infobases/kassa/journal/{download['id']}/messages")
    assert sent["side"] == "response" and sent["problems"] == []
    assert (
        sent["counts"]["Справочник.Номенклатура"]
        == len([o for o in sent["objects"] if o["type"] == "Справочник.Номенклатура"])
        > 50
    )
    uploads = kassa_server.journal(operation="PutFilePart")
    decoded = kassa_server.request("GET", f"/infobases/kassa/journal/{uploads[-1]['id']}/messages")
    assert decoded[0]["side"] == "request"
    assert "Документ.ЧекККМ" in decoded[0]["counts"]
    receipt = next(o for o in decoded[0]["objects"] if o["type"] == "Документ.ЧекККМ")
    assert receipt["ref"] == kassa_server.receipts()[0]["ref"]
    with pytest.raises(KassaApiError) as missing:
        kassa_server.request("GET", "/infobases/kassa/journal/999999/messages")
    assert missing.value.status == 404


def test_a_message_that_breaks_the_schema_shows_its_problems(kassa_server: KassaServer) -> None:
    message = (
        '<Message xmlns="http://www.1c.ru/SSL/Exchange/Message" xmlns:msg="http://www.1c.ru/SSL/Exchange/Message">'
        "<msg:Header><msg:Format>http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8</msg:Format>"
        "<msg:CreationDate>2026-11-30T10:00:00</msg:CreationDate></msg:Header>"
        '<Body xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"><Документ.ЧекККМ><Цвет>синий</Цвет>'
        "</Документ.ЧекККМ></Body></Message>"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("data.xml", message)
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<m:PutFilePart xmlns:m="http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1">'
        "<m:FileID>5b0e1f4e-0d8c-4a43-9b67-5d2f1c0a1e11</m:FileID><m:PartNumber>1</m:PartNumber>"
        f"<m:PartData>{base64.b64encode(archive.getvalue()).decode()}</m:PartData></m:PutFilePart></s:Body></s:Envelope>"
    )
    httpx.post(
        kassa_server.soap_url("EnterpriseDataExchange_1_0_1_1"),
        content=envelope.encode(),
        headers={"content-type": "text/xml; charset=utf-8"},
        auth=(kassa_server.login.encode(), kassa_server.password.encode()),
    )
    [entry] = kassa_server.journal(operation="PutFilePart")
    [decoded] = kassa_server.request("GET", f"/infobases/kassa/journal/{entry['id']}/messages")
    assert decoded["counts"] == {"Документ.ЧекККМ": 1}
    by_type = {p["object_type"]: p for p in decoded["problems"]}
    assert by_type["Документ.ЧекККМ"]["path"] == "Документ.ЧекККМ/Цвет" and by_type["Документ.ЧекККМ"]["reason"]
