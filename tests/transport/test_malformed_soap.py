"""Malformed SOAP always gets a SOAP Fault in the request's SOAP version, never a bare HTTP 500 or a traceback.

Found by the wire-contract audit: an empty body, an empty ``soap:Body`` and bad base64 used to escape spyne as plain
``500 Internal Server Error``; any other failure of the SOAP stack did the same and left no journal entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.services.protocol import KassaSoap11, KassaSoap12
from kassa_server.settings import Settings
from tests.soap_support import SoapServer, start_server

TNS = "http://www.1c.ru/SSL/Exchange_2_0_1_6"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def soap12(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def post(server: SoapServer, body: bytes, soap12: bool) -> httpx.Response:
    content_type = "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8"
    return httpx.post(server.url(), content=body, auth=server.auth, headers={"content-type": content_type})


def envelope(body: str, soap12: bool) -> bytes:
    ns = SOAP12 if soap12 else SOAP11
    return f'<s:Envelope xmlns:s="{ns}" xmlns:m="{TNS}"><s:Body>{body}</s:Body></s:Envelope>'.encode()


def fault_of(response: httpx.Response, soap12: bool) -> tuple[str, str, etree._Element]:
    """(code, text, Fault element) of a Fault response, checking status, content type and SOAP version."""
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    ns = SOAP12 if soap12 else SOAP11
    expected_type = "application/soap+xml" if soap12 else "text/xml"
    assert response.headers["content-type"].startswith(expected_type)
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{ns}}}Envelope"
    fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
    assert fault is not None
    if soap12:
        code = fault.findtext(f"{{{ns}}}Code/{{{ns}}}Value")
        text = fault.find(f"{{{ns}}}Reason/{{{ns}}}Text")
        assert text is not None
        return code, text.text or "", fault
    return fault.findtext("faultcode"), fault.findtext("faultstring"), fault


def client_code(soap12: bool) -> str:
    return "Sender" if soap12 else "Client"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("", "Пустой запрос: ожидается SOAP-конверт (Envelope) с вызовом операции в Body."),
        ("   \n", "Пустой запрос: ожидается SOAP-конверт (Envelope) с вызовом операции в Body."),
        ("empty-body", "В теле SOAP-конверта (Body) нет вызова операции."),
        ("fault-as-request", "Запрос содержит SOAP Fault вместо вызова операции."),
        ("bad-base64", "Значение элемента PartData не является корректными данными base64."),
    ],
    ids=["empty", "blank", "empty-body", "fault-as-request", "bad-base64"],
)
def test_malformed_request_is_a_client_fault(soap_server: SoapServer, soap12: bool, body: str, text: str) -> None:
    ns = SOAP12 if soap12 else SOAP11
    payloads = {
        "empty-body": f'<s:Envelope xmlns:s="{ns}"><s:Body> <!-- nothing --> </s:Body></s:Envelope>'.encode(),
        "fault-as-request": f'<s:Envelope xmlns:s="{ns}"><s:Body><s:Fault/></s:Body></s:Envelope>'.encode(),
        "bad-base64": envelope(
            "<m:PutFilePart><m:TransferId>3f0c1d1e-1111-2222-3333-444455556666</m:TransferId>"
            "<m:PartNumber>1</m:PartNumber><m:PartData>!!!notbase64</m:PartData></m:PutFilePart>",
            soap12,
        ),
    }
    response = post(soap_server, payloads.get(body, body.encode()), soap12)
    code, fault_text, fault = fault_of(response, soap12)
    assert code.split(":")[-1].split(".")[0] == client_code(soap12)
    assert fault_text == text
    if soap12:
        reason = fault.find(f"{{{ns}}}Reason/{{{ns}}}Text")
        assert reason is not None and reason.get(XML_LANG) == "ru"
    # the server stays up and serves the next call
    assert post(soap_server, envelope("<m:Ping/>", soap12), soap12).status_code == 200


def _journal(db_url: str) -> list[SoapCall]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.execute(select(SoapCall).order_by(SoapCall.id)).scalars().all())
    finally:
        engine.dispose()


def _break_the_soap_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make spyne's own machinery raise something that is not a Fault (spyne lets such errors escape)."""

    def broken(self: Any, ctx: Any, charset: str | None = None) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(KassaSoap11, "create_in_document", broken)
    monkeypatch.setattr(KassaSoap12, "create_in_document", broken)


def test_a_failing_soap_stack_still_answers_a_fault_and_is_journaled(
    soap_server: SoapServer, soap12: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_soap_stack(monkeypatch)
    response = post(soap_server, envelope("<m:Ping/>", soap12), soap12)
    code, text, fault = fault_of(response, soap12)
    assert code == ("soap:Receiver" if soap12 else "soap:Server")
    assert text == "Ошибка при выполнении операции веб-сервиса."
    assert b"secret internals" not in response.content and b"RuntimeError" not in response.content
    assert fault.find("detail") is None and fault.find(f"{{{SOAP12}}}Detail") is None
    last = _journal(soap_server.db_url)[-1]
    assert (last.service, last.http_status, last.outcome) == ("Exchange_2_0_1_6", 500, "fault")
    assert last.message == "Ошибка при выполнении операции веб-сервиса."
    assert last.soap_version == ("1.2" if soap12 else "1.1")


@pytest.fixture
def debug_server(db_url: str) -> Iterator[SoapServer]:
    yield from start_server(db_url, Settings(debug=True))


def test_a_failing_soap_stack_shows_the_traceback_only_in_debug(
    debug_server: SoapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_soap_stack(monkeypatch)
    response = post(debug_server, envelope("<m:Ping/>", False), False)
    code, text, fault = fault_of_debug(response)
    assert code == "soap:Server"
    assert text.startswith("Ошибка при выполнении операции веб-сервиса. RuntimeError(")
    assert "Traceback" in (fault.findtext("detail") or "")


def fault_of_debug(response: httpx.Response) -> tuple[str, str, etree._Element]:
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    assert fault is not None
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or "", fault
