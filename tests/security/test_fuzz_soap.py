"""Fuzzing the SOAP endpoint over real HTTP (issue 14, "Done when"): random bytes, mutated valid envelopes and mutated
ZIP payloads never get a generic error or a traceback, and the process's memory stays within a stated bound.

The run is bounded by ``KASSA_FUZZ_EXAMPLES`` (default 300) and by time, ``KASSA_FUZZ_SECONDS`` (default 15 s); CI may
raise both. Examples past the time budget return at once.
"""

from __future__ import annotations

import base64
import logging
import os
import time

import httpx
import psutil
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from kassa_server.services.faults import GENERIC_ERROR
from kassa_server.settings import Limits, Settings
from tests.soap_support import SoapServer, start_server, zip_bytes

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EXCHANGE = "http://www.1c.ru/SSL/Exchange_2_0_1_6"
EDE = "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1"
PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
BUDGET = float(os.environ.get("KASSA_FUZZ_SECONDS", "15"))
EXAMPLES = int(os.environ.get("KASSA_FUZZ_EXAMPLES", "300"))
RSS_BOUND = 150 * 1024 * 1024
"""The process may grow by at most this much over a run (the bodies are small; a leak grows without end)."""

MESSAGE = (
    '<?xml version="1.0" encoding="UTF-8"?><Message xmlns:msg="http://www.1c.ru/SSL/Exchange/Message"><msg:Header>'
    "<msg:Format>http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8</msg:Format>"
    "<msg:CreationDate>2025-03-01T15:25:03</msg:CreationDate><msg:Confirmation><msg:ExchangePlan>"
    f"{PLAN}</msg:ExchangePlan><msg:To>our-node-code</msg:To><msg:From>fuzz</msg:From>"
    "<msg:MessageNo>1</msg:MessageNo><msg:ReceivedNo>0</msg:ReceivedNo></msg:Confirmation>"
    '<msg:AvailableVersion>1.8</msg:AvailableVersion></msg:Header><Body xmlns="http://v8.1c.ru/edi/edi_stnd/'
    'EnterpriseData/1.8"></Body></Message>'
).encode()
ZIP = zip_bytes([("data.xml", MESSAGE)])


def envelope(ns: str, op: str, params: str, soap12: bool = False) -> bytes:
    env = SOAP12 if soap12 else SOAP11
    return (
        f'<s:Envelope xmlns:s="{env}" xmlns:m="{ns}"><s:Body><m:{op}>{params}</m:{op}></s:Body></s:Envelope>'.encode()
    )


def p(name: str, value: object) -> str:
    return f"<m:{name}>{value}</m:{name}>"


SEEDS: list[tuple[str, bytes]] = [
    ("Exchange_2_0_1_6", envelope(EXCHANGE, "Ping", "")),
    ("Exchange_2_0_1_6", envelope(EXCHANGE, "Ping", "", soap12=True)),
    ("Exchange_2_0_1_6", envelope(EXCHANGE, "TestConnection", p("ExchangePlanName", PLAN) + p("NodeCode", "fuzz"))),
    (
        "Exchange_2_0_1_6",
        envelope(
            EXCHANGE,
            "PutFilePart",
            p("TransferId", "6f1c3a8e-0000-4000-8000-000000000001")
            + p("PartNumber", 1)
            + p("PartData", base64.b64encode(ZIP).decode()),
        ),
    ),
    (
        "Exchange_2_0_1_6",
        envelope(
            EXCHANGE,
            "SaveFileFromParts",
            p("TransferId", "6f1c3a8e-0000-4000-8000-000000000001") + p("PartQuantity", 1),
        ),
    ),
    (
        "Exchange_2_0_1_6",
        envelope(
            EXCHANGE, "GetIBParameters", p("ExchangePlanName", PLAN) + p("NodeCode", "x") + p("ResultMessage", "")
        ),
    ),
    (
        "EnterpriseDataExchange_1_0_1_1",
        envelope(
            EDE, "PutFilePart", p("FileID", "fz") + p("PartNumber", 1) + p("PartData", base64.b64encode(ZIP).decode())
        ),
    ),
    (
        "EnterpriseDataExchange_1_0_1_1",
        envelope(EDE, "PutData", p("ExchangePlanName", PLAN) + p("PeerCode", "fuzz") + p("FileID", "fz")),
    ),
    ("EnterpriseDataExchange_1_0_1_1", envelope(EDE, "GetDataPart", p("FileID", "fz") + p("PartNumber", 1))),
    ("InterfaceVersion", envelope("http://www.1c.ru/SaaS/1.0/WS", "GetVersions", p("InterfaceName", "ОбменДанными"))),
]


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, delete count, insert) edits, positions taken modulo the length."""
    out = bytearray(data)
    for position, delete, insert in edits:
        at = position % (len(out) + 1)
        out[at : at + delete] = insert
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 16), st.binary(max_size=24)), min_size=1, max_size=6)
CONTENT_TYPES = st.sampled_from(
    [
        "text/xml; charset=utf-8",
        "application/soap+xml; charset=utf-8",
        "text/xml",
        "text/xml; charset=utf-16",
        "text/xml; charset=koi8-r",
        "text/xml; charset=bogus",
        "application/octet-stream",
    ]
)
TEXTS = st.text(max_size=64) | st.integers().map(str) | st.sampled_from(["-1", "2147483648", "", "0", "1e9"])


def mutated_zip_envelope(edits: list[tuple[int, int, bytes]]) -> tuple[str, bytes]:
    part = base64.b64encode(mutate(ZIP, edits)).decode()
    return "EnterpriseDataExchange_1_0_1_1", envelope(
        EDE, "PutFilePart", p("FileID", "fz") + p("PartNumber", 1) + p("PartData", part)
    )


def retyped(seed: tuple[str, bytes], value: str) -> tuple[str, bytes]:
    """The seed with every parameter's text replaced by ``value`` (XML-escaped)."""
    service, body = seed
    root = etree.fromstring(body)
    for element in root.iter():
        if len(element) == 0 and element.text is not None:
            element.text = value
    return service, etree.tostring(root)


REQUESTS = (
    st.tuples(st.sampled_from([s for s, _ in SEEDS]), st.binary(max_size=2048))
    | st.builds(lambda seed, edits: (seed[0], mutate(seed[1], edits)), st.sampled_from(SEEDS), EDITS)
    | st.builds(mutated_zip_envelope, EDITS)
    | st.builds(
        retyped, st.sampled_from(SEEDS), TEXTS.filter(lambda t: "\x00" not in t and all(c.isprintable() for c in t))
    )
)


def check(response: httpx.Response) -> None:
    """No generic error: an answer, a client error, or a Fault that is not the catch-all one."""
    assert response.status_code != 500 or response.content.startswith(b"<?xml"), response.content[:300]
    assert b"Traceback" not in response.content
    if response.status_code == 500:
        assert GENERIC_ERROR.encode() not in response.content, response.content[:300]


@pytest.fixture
def fuzz_server(sqlite_url: str) -> SoapServer:
    yield from start_server(sqlite_url, Settings(limits=Limits(max_login_failures=0, max_address_failures=0)))


def test_fuzzed_requests_get_no_generic_error_and_memory_stays_bounded(
    fuzz_server: SoapServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    process = psutil.Process()
    client = httpx.Client(auth=fuzz_server.auth, timeout=60)
    for service, body in SEEDS:  # warm up: first calls build caches that are not growth
        client.post(fuzz_server.url(service), content=body, headers={"content-type": "text/xml; charset=utf-8"})
    rss_before = process.memory_info().rss
    started = time.monotonic()
    count = {"sent": 0}

    # generate only: no shrinking (each example is an HTTP call), and a failure is reported as found
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(request=REQUESTS, content_type=CONTENT_TYPES)
    def fuzz(request: tuple[str, bytes], content_type: str) -> None:
        if time.monotonic() - started > BUDGET:
            return
        service, body = request
        response = client.post(fuzz_server.url(service), content=body, headers={"content-type": content_type})
        count["sent"] += 1
        check(response)

    try:
        fuzz()
    finally:
        client.close()
    assert count["sent"] > 0
    growth = process.memory_info().rss - rss_before
    assert growth < RSS_BOUND, f"RSS grew {growth >> 20} MiB over {count['sent']} requests"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage()[:300] for r in errors[:3]]
