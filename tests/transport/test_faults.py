"""The fault edge's pure parts: reading operation and device from a request, rewriting answers."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from lxml import etree

from kassa_server.admin.faults import Injection
from kassa_server.transport.faults import instead, rewrite, sniff
from kassa_server.transport.wsgi_bridge import WsgiResponse

ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def _envelope(inner: str) -> bytes:
    return f'<?xml version="1.0"?><s:Envelope xmlns:s="{ENV}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()


def test_sniff_reads_the_operation_and_the_node() -> None:
    body = _envelope(
        '<m:UploadData xmlns:m="urn:x"><m:ExchangePlanName>P</m:ExchangePlanName>'
        "<m:NodeCode> 0001 </m:NodeCode></m:UploadData>"
    )
    assert sniff(body) == ("UploadData", "0001")
    assert sniff(_envelope('<GetDataPart xmlns="urn:x"><FileID>f</FileID></GetDataPart>')) == ("GetDataPart", "")
    assert sniff(b"not xml") == ("", "")


def test_a_status_poll_is_rewritten_to_active_or_failed() -> None:
    real = _envelope(
        '<m:GetContinuousOperationStatusResponse xmlns:m="urn:x" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><m:return>Completed</m:return>'
        '<m:ResultMessage xsi:nil="true"/></m:GetContinuousOperationStatusResponse>'
    )
    response = WsgiResponse(200, [("content-type", "text/xml")], real)
    active = etree.fromstring(rewrite(Injection(1, "operation_active", {}), response).body)
    assert active.findtext(".//{urn:x}return") == "Active"
    failed = etree.fromstring(rewrite(Injection(1, "operation_failed", {"error_message": "Сбой"}), response).body)
    assert failed.findtext(".//{urn:x}return") == "Failed"
    assert failed.findtext(".//{urn:x}ResultMessage") == "Сбой"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", "<Message>" + "x" * 500 + "</Message>")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["truncate_part", "corrupt_part", "bad_zip_checksum"])
def test_a_part_is_damaged_so_that_unzipping_fails(kind: str) -> None:
    data = base64.b64encode(_zip()).decode()
    body = _envelope(f'<m:GetDataPartResponse xmlns:m="urn:x"><m:return>{data}</m:return></m:GetDataPartResponse>')
    damaged = rewrite(Injection(1, kind, {}), WsgiResponse(200, [], body))
    part = base64.b64decode(etree.fromstring(damaged.body).findtext(".//{urn:x}return") or "")
    assert part != _zip()
    with pytest.raises(Exception) as caught, zipfile.ZipFile(io.BytesIO(part)) as archive:
        archive.read("data.xml")
    assert type(caught.value).__name__ in {"BadZipFile", "error", "EOFError"}


def test_an_http_status_fault_has_1c_headers() -> None:
    answer = instead(Injection(1, "http_status", {"status": 401}), "1.1")
    assert answer.status == 401 and ("www-authenticate", 'Basic realm="1C:Enterprise 8.3"') in answer.headers
    fault = instead(Injection(1, "soap_fault", {"text": "Текст"}), "1.2")
    assert fault.status == 500 and "Текст".encode() in fault.body and b"soap-envelope" in fault.body
