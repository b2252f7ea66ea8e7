"""Routing, authentication, limits and hostile input at the HTTP edge, over a real uvicorn server."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Limits, ProtocolOptions, Settings
from tests.soap_support import LOGIN, NODE, PASSWORD, PLAN, SoapServer, bind, make_infobase, start_server, zeep_client

TNS = "http://www.1c.ru/SSL/Exchange_2_0_1_6"
REALM = 'Basic realm="1C:Enterprise 8.3"'


def envelope(body: str, soap12: bool = False) -> bytes:
    ns = "http://www.w3.org/2003/05/soap-envelope" if soap12 else "http://schemas.xmlsoap.org/soap/envelope/"
    return f'<s:Envelope xmlns:s="{ns}" xmlns:m="{TNS}"><s:Body>{body}</s:Body></s:Envelope>'.encode()


def post(server: SoapServer, body: bytes, *, path: str = "Exchange_2_0_1_6", soap12: bool = False) -> httpx.Response:
    content_type = "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8"
    return httpx.post(server.url(path), content=body, auth=server.auth, headers={"content-type": content_type})


@pytest.mark.parametrize("suffix", ["/ping", "?wsdl", "", "/anything"])
def test_everything_under_ws_needs_credentials(soap_server: SoapServer, suffix: str) -> None:
    for service in ("Exchange_2_0_1_6", "EnterpriseDataExchange_1_0_1_1"):
        response = httpx.get(soap_server.url(service) + suffix)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == REALM
    wrong = httpx.get(soap_server.url() + suffix, auth=(LOGIN.encode(), b"wrong"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == REALM


def test_authenticated_ping_and_cyrillic_login(soap_server: SoapServer) -> None:
    header = "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    for service in ("Exchange_2_0_1_6", "EnterpriseDataExchange_1_0_1_1", "exchange_2_0_1_6.1cws"):
        assert httpx.get(soap_server.url(service) + "/ping", headers={"authorization": header}).status_code == 200
    cp1251 = "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode("cp1251")).decode()
    assert httpx.get(soap_server.url() + "/ping", headers={"authorization": cp1251}).status_code == 200
    assert httpx.get(soap_server.url() + "/nothing", auth=soap_server.auth).status_code == 404
    assert httpx.get(soap_server.url("NoSuchService"), auth=soap_server.auth).status_code == 404


def test_base_name_is_case_sensitive_and_read_at_request_time(soap_server: SoapServer) -> None:
    assert httpx.get(soap_server.url(infobase="Kassa") + "/ping", auth=soap_server.auth).status_code == 404
    assert httpx.get(soap_server.url(infobase="other") + "/ping", auth=soap_server.auth).status_code == 404
    make_infobase(soap_server.db_url, "other")  # a new base is served without a restart
    assert httpx.get(soap_server.url(infobase="other") + "/ping", auth=soap_server.auth).status_code == 200


def test_descriptor_urls_answer_soap_in_any_case(soap_server: SoapServer) -> None:
    for path in ("exchange_2_0_1_6.1cws", "Exchange_2_0_1_6.1CWS", "EXCHANGE_2_0_1_6"):
        response = post(soap_server, envelope("<m:Ping/>"), path=path)
        assert response.status_code == 200 and b"PingResponse" in response.content


def test_soap_12_on_the_same_path(soap_server: SoapServer) -> None:
    response = post(soap_server, envelope("<m:Ping/>", soap12=True), soap12=True)
    assert response.status_code == 200
    assert b"http://www.w3.org/2003/05/soap-envelope" in response.content
    assert response.headers["content-type"].startswith("application/soap+xml")


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body><m:Ping",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + envelope("<m:Ping>&b;</m:Ping>"),
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + envelope("<m:GetFunctionalOption><m:Name>&x;</m:Name></m:GetFunctionalOption>"),
    ],
    ids=["garbage", "truncated", "billion-laughs", "xxe"],
)
def test_malformed_and_hostile_xml_gets_a_fault_and_the_server_stays_up(soap_server: SoapServer, body: bytes) -> None:
    response = post(soap_server, body)
    assert response.status_code == 500
    assert b"Fault" in response.content and b"Traceback" not in response.content
    assert b"root:" not in response.content
    assert post(soap_server, envelope("<m:Ping/>")).status_code == 200


def test_unknown_operation_is_a_fault(soap_server: SoapServer) -> None:
    response = post(soap_server, envelope("<m:NoSuchOperation/>"))
    assert response.status_code == 500 and b"Fault" in response.content


def test_raw_envelope_pins_names_order_and_nil(soap_server: SoapServer) -> None:
    from lxml import etree

    body = (
        f"<m:TestConnection><m:ExchangePlanName>{PLAN}</m:ExchangePlanName>"
        f"<m:NodeCode>{NODE}</m:NodeCode></m:TestConnection>"
    )
    response = post(soap_server, envelope(body))
    root = etree.fromstring(response.content)
    reply = root.find(f".//{{{TNS}}}TestConnectionResponse")
    assert [child.tag for child in reply] == [f"{{{TNS}}}return", f"{{{TNS}}}Result"]
    assert reply[0].text == "true"
    assert reply[1].get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"

    upload = (
        f"<m:UploadData><m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode>"
        "<m:FileID/><m:ContinuousOperation>false</m:ContinuousOperation><m:Operation/>"
        "<m:ContinuousOperationAllowed>true</m:ContinuousOperationAllowed></m:UploadData>"
    )
    reply = etree.fromstring(post(soap_server, envelope(upload)).content).find(f".//{{{TNS}}}UploadDataResponse")
    assert [etree.QName(c).localname for c in reply] == ["return", "FileID", "ContinuousOperation", "Operation"]


def test_soap_action_is_not_required_to_match(soap_server: SoapServer) -> None:
    response = httpx.post(
        soap_server.url(),
        content=envelope("<m:Ping/>"),
        auth=soap_server.auth,
        headers={"content-type": "text/xml", "soapaction": '"http://wrong#X:Y"'},
    )
    assert response.status_code == 200


def test_every_call_is_journaled(soap_server: SoapServer) -> None:
    body = (
        f"<m:TestConnection><m:ExchangePlanName>{PLAN}</m:ExchangePlanName>"
        "<m:NodeCode>nobody</m:NodeCode></m:TestConnection>"
    )
    post(soap_server, envelope(body))
    post(soap_server, envelope("<m:TestConnection><m:ExchangePlanName>Чужой</m:ExchangePlanName></m:TestConnection>"))
    engine = make_engine(soap_server.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            calls = session.execute(select(SoapCall).order_by(SoapCall.id)).scalars().all()
    finally:
        engine.dispose()
    soft, fault = calls[-2], calls[-1]
    assert (soft.infobase, soft.login, soft.service, soft.operation) == (
        "kassa",
        LOGIN,
        "Exchange_2_0_1_6",
        "TestConnection",
    )
    assert soft.node_code == "nobody" and soft.outcome == "soft_error" and "не найдена настройка" in soft.message
    assert soft.http_status == 200 and "nobody" in soft.request_body and "TestConnectionResponse" in soft.response_body
    assert (
        fault.outcome == "fault" and fault.http_status == 500 and fault.message == "Поле объекта не обнаружено (Чужой)"
    )


def _journal(db_url: str) -> list[SoapCall]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.execute(select(SoapCall).order_by(SoapCall.id)).scalars().all())
    finally:
        engine.dispose()


@pytest.fixture
def small_server(db_url: str) -> Iterator[SoapServer]:
    settings = Settings(
        limits=Limits(max_request_body=4096, journal_body_limit=100),
        protocol=ProtocolOptions(operation_active_polls=2),
        trusted_proxies=("127.0.0.1",),
    )
    yield from start_server(db_url, settings)


def test_oversized_body_is_413(small_server: SoapServer) -> None:
    response = post(small_server, envelope("<m:Ping/>" + " " * 5000))
    assert response.status_code == 413
    streamed = httpx.post(
        small_server.url(),
        content=iter([b"<x>", b" " * 5000, b"</x>"]),
        auth=small_server.auth,
        headers={"content-type": "text/xml"},
    )
    assert streamed.status_code == 413
    assert post(small_server, envelope("<m:Ping/>")).status_code == 200


def test_operations_stay_active_for_configured_polls(small_server: SoapServer) -> None:
    svc = bind(zeep_client(small_server, "Exchange_2_0_1_6"), "Exchange_2_0_1_6")
    upload = svc.UploadData(PLAN, NODE, "", False, "", True)
    assert upload["ContinuousOperation"] is True
    statuses = [svc.GetContinuousOperationStatus(upload["Operation"])["return"] for _ in range(3)]
    assert statuses == ["Active", "Active", "Completed"]
    assert svc.PrepareGetFile(upload["FileID"], 1)["PartQuantity"] >= 1
    # without ContinuousOperationAllowed the call stays synchronous
    assert svc.UploadData(PLAN, NODE, "", False, "", False)["ContinuousOperation"] is False


def test_wsdl_address_follows_request_and_proxy_never_public_url(small_server: SoapServer) -> None:
    from lxml import etree

    def location(headers: dict[str, str] | None = None, infobase: str = "kassa") -> str:
        response = httpx.get(
            small_server.url("InterfaceVersion", infobase) + "?wsdl", auth=small_server.auth, headers=headers or {}
        )
        doc = etree.fromstring(response.content)
        return doc.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")

    assert location() == f"{small_server.base_url}/kassa/ws/InterfaceVersion.1cws"
    assert location({"host": "shop.example:8443"}) == "http://shop.example:8443/kassa/ws/InterfaceVersion.1cws"
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-host": "kassa.example.org"}
    assert location(forwarded) == "https://kassa.example.org/kassa/ws/InterfaceVersion.1cws"
    make_infobase(small_server.db_url, "pub", public_url="https://cloud.example/pub/")  # the QR's address only
    assert location(infobase="pub") == f"{small_server.base_url}/pub/ws/InterfaceVersion.1cws"


def test_forwarded_headers_ignored_from_untrusted_clients(soap_server: SoapServer) -> None:
    response = httpx.get(
        soap_server.url() + "?wsdl", auth=soap_server.auth, headers={"x-forwarded-host": "evil.example"}
    )
    assert b"evil.example" not in response.content


def test_refused_requests_are_journaled_without_credentials_or_bodies(small_server: SoapServer) -> None:
    """401, 404, 405 and 413 answers are calls a client developer needs to see too (issue 13)."""
    secret = "пароль-не-тот"
    before = len(_journal(small_server.db_url))
    assert httpx.get(f"{small_server.base_url}/nope/ws/Exchange_2_0_1_6?wsdl").status_code == 404
    assert httpx.get(small_server.url(), auth=(LOGIN.encode(), secret.encode())).status_code == 401
    assert httpx.get(small_server.url() + "?wsdl").status_code == 401
    assert httpx.get(small_server.url("NoSuchService") + "?wsdl", auth=small_server.auth).status_code == 404
    assert httpx.get(small_server.url(), auth=small_server.auth).status_code == 405
    assert post(small_server, envelope("<m:Ping/>" + " " * 5000)).status_code == 413
    assert httpx.get(small_server.url() + "/ping", auth=small_server.auth).status_code == 200
    assert httpx.get(small_server.url() + "?wsdl", auth=small_server.auth).status_code == 200
    calls = _journal(small_server.db_url)[before:]
    seen = [(c.infobase, c.login, c.service, c.http_status, c.outcome) for c in calls]
    assert seen == [
        ("nope", "", "", 404, "not_found"),
        ("kassa", "", "", 401, "unauthorized"),
        ("kassa", "", "", 401, "unauthorized"),
        ("kassa", LOGIN, "", 404, "not_found"),
        ("kassa", LOGIN, "Exchange_2_0_1_6", 405, "rejected"),
        ("kassa", LOGIN, "Exchange_2_0_1_6", 413, "rejected"),
        ("kassa", LOGIN, "Exchange_2_0_1_6", 200, "ping"),
        ("kassa", LOGIN, "Exchange_2_0_1_6", 200, "wsdl"),
    ]
    assert [c.message for c in calls[1:3]] == ["wrong login or password", "no credentials"]
    assert "NoSuchService" in calls[3].message
    too_large = calls[5]
    assert too_large.request_size > 5000 and too_large.request_body == "" and too_large.response_body == ""
    for call in calls:
        texts = [call.login, call.message, call.request_body, call.response_body]
        assert not any(secret in text or PASSWORD in text for text in texts)
        assert call.request_body == "" and call.response_body == ""
