"""One request cannot freeze or flood the server (issue 14 §5-§7, §16): hostile SOAP bodies get client Faults.

Before: 60,000 attributes on one element froze every client for 13.5 s and were then answered as a normal call; a 50 MB
parameter was echoed whole in the Fault and logged as a 10 MB line; invalid UTF-8, UTF-16 under ``charset=utf-8`` or
an unknown charset gave a Server Fault and a traceback in the log; ``PartNumber`` ≥ 2³¹ gave a generic 500 (PostgreSQL:
integer out of range).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from kassa_server.settings import Limits, Settings
from tests.soap_support import SoapServer, start_server

TNS = "http://www.1c.ru/SSL/Exchange_2_0_1_6"
EDE_TNS = "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(body: str, tns: str = TNS) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP11}" xmlns:m="{tns}"><s:Body>{body}</s:Body></s:Envelope>'.encode()


def post(
    server: SoapServer, body: bytes, content_type: str = "text/xml; charset=utf-8", service: str = "Exchange_2_0_1_6"
) -> httpx.Response:
    return httpx.post(
        server.url(service), content=body, auth=server.auth, headers={"content-type": content_type}, timeout=60
    )


def client_fault(response: httpx.Response) -> str:
    """The faultstring of a SOAP 1.1 client Fault (asserting it is one)."""
    assert response.status_code == 500, response.text[:500]
    assert b"Traceback" not in response.content
    fault = etree.fromstring(response.content).find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    assert fault is not None
    code = fault.findtext("faultcode") or ""
    assert code.split(":")[-1].startswith("Client"), code
    return fault.findtext("faultstring") or ""


def assert_quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback and no huge line in the log."""
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()[:200]
        assert record.levelno < logging.ERROR, record.getMessage()[:200]
        assert len(record.getMessage()) < 4096


@pytest.fixture
def small_limits_server(sqlite_url: str) -> Iterator[SoapServer]:
    settings = Settings(limits=Limits(max_xml_elements=1000, max_xml_attributes=32))
    yield from start_server(sqlite_url, settings)


# -- §5: attributes and elements are counted before spyne reads the request


def test_sixty_thousand_attributes_are_a_client_fault(soap_server: SoapServer) -> None:
    attributes = " ".join(f'a{i}="x"' for i in range(60_000))
    response = post(soap_server, envelope(f"<m:Ping {attributes}/>"))
    assert "атрибутов" in client_fault(response)


def test_attributes_over_the_setting_are_a_client_fault(small_limits_server: SoapServer) -> None:
    attributes = " ".join(f'a{i}="x"' for i in range(33))
    assert "более 32 атрибутов" in client_fault(post(small_limits_server, envelope(f"<m:Ping {attributes}/>")))
    attributes = " ".join(f'a{i}="x"' for i in range(32))
    assert post(small_limits_server, envelope(f"<m:Ping {attributes}/>")).status_code == 200


def test_elements_over_the_setting_are_a_client_fault(small_limits_server: SoapServer) -> None:
    children = "<x/>" * 1000
    text = client_fault(post(small_limits_server, envelope(f"<m:Ping>{children}</m:Ping>")))
    assert "более 1000 элементов" in text


# -- §6: faults, logs and the journal quote at most a bounded part of a parameter


def test_a_huge_parameter_is_not_echoed(soap_server: SoapServer, caplog: pytest.LogCaptureFixture) -> None:
    huge = "x" * (4 * 1024 * 1024)
    caplog.set_level(logging.INFO)
    body = envelope(
        f"<m:GetContinuousOperationStatus><m:Operation>{huge}</m:Operation></m:GetContinuousOperationStatus>"
    )
    response = post(soap_server, body)
    assert response.status_code == 500
    assert len(response.content) < 4096
    assert_quiet_log(caplog)
    body = envelope(
        f"<m:TestConnection><m:ExchangePlanName>{huge}</m:ExchangePlanName><m:NodeCode>{huge}</m:NodeCode>"
        "</m:TestConnection>"
    )
    response = post(soap_server, body)
    assert len(response.content) < 4096
    assert_quiet_log(caplog)


def test_a_huge_integer_is_not_echoed(soap_server: SoapServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = envelope(
        "<m:GetFilePart><m:TransferId>6f1c3a8e-0000-4000-8000-000000000001</m:TransferId>"
        f"<m:PartNumber>{'9' * 1_000_000}</m:PartNumber></m:GetFilePart>"
    )
    client_fault(response := post(soap_server, body))
    assert len(response.content) < 4096
    assert_quiet_log(caplog)


# -- §7: encodings


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/xml; charset=utf-8", envelope("<m:Ping/>").replace(b"<m:Ping/>", b"<m:Ping>\xff\xfe\xc3</m:Ping>")),
        ("text/xml; charset=utf-8", envelope("<m:Ping/>").decode().encode("utf-16")),
        ("text/xml; charset=utf-8", envelope("<m:Ping/>").decode().encode("utf-16-le")),
        ("text/xml; charset=no-such-charset", envelope("<m:Ping/>")),
        ("text/xml; charset=utf-16", envelope("<m:Ping/>") + b"\x00"),
    ],
    ids=["invalid-utf8", "utf16-bom-as-utf8", "utf16le-as-utf8", "unknown-charset", "odd-utf16"],
)
def test_a_body_not_in_its_charset_is_a_client_fault(
    soap_server: SoapServer, caplog: pytest.LogCaptureFixture, content_type: str, body: bytes
) -> None:
    caplog.set_level(logging.INFO)
    client_fault(post(soap_server, body, content_type))
    assert_quiet_log(caplog)


def test_a_body_in_a_declared_single_byte_charset_still_works(soap_server: SoapServer) -> None:
    body = envelope("<m:GetFunctionalOption><m:Name>ИспользоватьСинхронизациюДанных</m:Name></m:GetFunctionalOption>")
    response = post(soap_server, body.decode().encode("cp1251"), "text/xml; charset=windows-1251")
    assert response.status_code == 200
    assert b">true<" in response.content


# -- §16: integers outside xs:int


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**63])
def test_part_numbers_outside_xs_int_are_client_faults(db_url: str, number: int) -> None:
    for server in start_server(db_url):
        transfer = "6f1c3a8e-0000-4000-8000-000000000001"
        body = envelope(
            f"<m:PutFilePart><m:TransferId>{transfer}</m:TransferId><m:PartNumber>{number}</m:PartNumber>"
            "<m:PartData>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</m:PartData></m:PutFilePart>"
        )
        assert str(number) in client_fault(post(server, body))
        body = envelope(
            f"<m:GetDataPart><m:FileID>f</m:FileID><m:PartNumber>{number}</m:PartNumber></m:GetDataPart>", EDE_TNS
        )
        client_fault(post(server, body, service="EnterpriseDataExchange_1_0_1_1"))
        body = envelope(
            f"<m:PutFilePart><m:FileID>f</m:FileID><m:PartNumber>{number}</m:PartNumber>"
            "<m:PartData>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</m:PartData></m:PutFilePart>",
            EDE_TNS,
        )
        client_fault(post(server, body, service="EnterpriseDataExchange_1_0_1_1"))
        ok = body.replace(str(number).encode(), b"2147483647")
        assert post(server, ok, service="EnterpriseDataExchange_1_0_1_1").status_code == 200
