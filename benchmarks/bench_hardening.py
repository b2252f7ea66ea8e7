"""Before/after figures of issue 14's hostile inputs (§1-§7, §11, §16), one live server per item.

    python benchmarks/bench_hardening.py                      # this checkout
    PYTHONPATH=/path/to/old/checkout python benchmarks/bench_hardening.py   # the code as it was

Each item runs against a fresh SQLite database with infobase ``kassa`` and prints one line: what was sent, how long
the answers took, what came back, and the process's RSS growth (the server runs in this process). The sizes are
smaller than the issue's where the issue's would take minutes or gigabytes on a shared machine; the line says so.
"""

from __future__ import annotations

import io
import logging
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from kassa_server.app import create_app
from kassa_server.models.engine import upgrade
from kassa_server.settings import Settings
from tests.live_server import live_server
from tests.soap_support import LOGIN, PASSWORD, make_infobase

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://www.1c.ru/SSL/Exchange_2_0_1_6"
PROCESS = psutil.Process()


def envelope(body: str) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP11}" xmlns:m="{TNS}"><s:Body>{body}</s:Body></s:Envelope>'.encode()


@contextmanager
def server() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'kassa.sqlite3'}"
        upgrade(url)
        make_infobase(url)
        app = create_app(Settings(database_url=url))
        options = {}
        try:
            from kassa_server.transport.connections import http_protocol

            options["http"] = http_protocol(app.state.settings.limits)
        except ImportError:
            pass
        with live_server(app, **options) as base_url:
            yield base_url


def rss() -> int:
    return PROCESS.memory_info().rss >> 20


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def report(item: str, text: str) -> None:
    print(f"{item}: {text}", flush=True)


def soap(base_url: str, body: bytes, content_type: str = "text/xml; charset=utf-8") -> httpx.Response:
    return httpx.post(
        base_url + "/kassa/ws/Exchange_2_0_1_6",
        content=body,
        auth=(LOGIN.encode(), PASSWORD.encode()),
        headers={"content-type": content_type},
        timeout=600,
    )


def fault_code(response: httpx.Response) -> str:
    from lxml import etree

    try:
        fault = etree.fromstring(response.content).find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    except etree.XMLSyntaxError:
        return f"HTTP {response.status_code}, not XML"
    return f"HTTP {response.status_code} {fault.findtext('faultcode') if fault is not None else 'no fault'}"


def item1() -> None:
    with server() as base_url:
        before = rss()
        path = "/kassa" + "/ws" * 4_000 + "/Exchange_2_0_1_6"  # 12 KB (the issue: 63 KB)
        times = []
        for _ in range(3):
            seconds, response = timed(lambda: httpx.get(base_url + path, timeout=600))
            times.append(seconds)
        report(
            "§1 path",
            f"12 KB path ×3: {[round(t, 3) for t in times]} s, HTTP {response.status_code}, RSS +{rss() - before} MiB",
        )  # type: ignore[attr-defined]


def item2() -> None:
    with server() as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        before = rss()
        sent = 0
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            try:
                sock.sendall(b"GET /kassa/ws/Exchange_2_0_1_6/ping HTTP/1.1\r\nHost: x\r\nX-Big: ")
                while sent < 16 * 1024 * 1024:
                    sock.sendall(b"a" * 65536)
                    sent += 65536
                sock.sendall(b"\r\n\r\n")
                answer = sock.recv(100).split(b"\r\n")[0].decode()
            except OSError as exc:
                answer = f"connection closed ({type(exc).__name__})"
        report(
            "§2 header",
            f"16 MB header: server took {sent >> 20} MiB before closing, answer {answer!r}, RSS +{rss() - before} MiB",
        )
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            started = time.perf_counter()
            try:
                data = sock.recv(100)
                outcome = f"closed after {time.perf_counter() - started:.1f} s ({data[:12]!r})"
            except TimeoutError:
                outcome = "still open after 60 s"
        report("§2 idle", f"a connection that sends nothing: {outcome}")


def item3() -> None:
    with server() as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        socks = []
        for _ in range(1200):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                break
        time.sleep(1)  # a benchmark, not a test: let the server refuse what it refuses
        refused = 0
        for sock in socks:
            sock.setblocking(False)
            try:
                data = sock.recv(100)
                refused += data == b"" or data.startswith(b"HTTP/1.1 503")
            except BlockingIOError:
                pass
        ping = httpx.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping", auth=(LOGIN.encode(), PASSWORD.encode()))
        for sock in socks:
            sock.close()
        report(
            "§3 connections",
            f"{len(socks)} idle connections: {refused} refused at once; a Ping meanwhile: HTTP {ping.status_code}",
        )


def _ping_ms(base_url: str, login: str) -> float:
    auth = (login.encode(), b"x")
    seconds, _ = timed(lambda: httpx.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping", auth=auth))
    return seconds * 1000


def item4() -> None:
    with server() as base_url:
        statuses = []
        for i in range(20):
            auth = (LOGIN.encode(), b"wrong%d" % i)
            statuses.append(httpx.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping", auth=auth).text)
        checked = sum(1 for s in statuses if s == "Unauthorized")
    with server() as base_url:  # fresh: under the per-login limit
        unknown = [_ping_ms(base_url, f"Никто{i}") for i in range(4)]
        wrong = [_ping_ms(base_url, LOGIN) for _ in range(4)]
    report(
        "§4 passwords",
        f"20 wrong passwords for one login: {checked} checked, {20 - checked} throttled; "
        f"unknown login {statistics.median(unknown):.1f} ms vs wrong password {statistics.median(wrong):.1f} ms "
        "(median of 4, both Cyrillic)",
    )


def item5() -> None:
    with server() as base_url:
        attributes = " ".join(f'a{i}="x"' for i in range(60_000))
        seconds, response = timed(lambda: soap(base_url, envelope(f"<m:Ping {attributes}/>")))
        report("§5 attributes", f"60 000 attributes (0.65 MB): {seconds:.2f} s, {fault_code(response)}")  # type: ignore[arg-type]


def item6() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler = Keep()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with server() as base_url:
            huge = "x" * (10 * 1024 * 1024)
            before = rss()
            body = envelope(
                f"<m:GetContinuousOperationStatus><m:Operation>{huge}</m:Operation></m:GetContinuousOperationStatus>"
            )
            seconds, response = timed(lambda: soap(base_url, body))
            longest = max((len(r.getMessage()) for r in records), default=0)
            report(
                "§6 quoting",
                f"10 MB parameter: fault body {len(response.content)} bytes, longest log line {longest} characters, "  # type: ignore[attr-defined]
                f"RSS +{rss() - before} MiB, {seconds:.2f} s",
            )
    finally:
        root.removeHandler(handler)


def item7() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler = Keep()
    root.addHandler(handler)
    try:
        with server() as base_url:
            cases = {
                "invalid UTF-8": (
                    envelope("<m:Ping>\xff</m:Ping>").replace("ÿ".encode(), b"\xff\xfe"),
                    "text/xml; charset=utf-8",
                ),
                "UTF-16 as utf-8": (envelope("<m:Ping/>").decode().encode("utf-16"), "text/xml; charset=utf-8"),
                "unknown charset": (envelope("<m:Ping/>"), "text/xml; charset=bogus"),
            }
            for name, (body, content_type) in cases.items():
                records.clear()
                response = soap(base_url, body, content_type)
                tracebacks = sum(1 for r in records if r.exc_info)
                report(
                    "§7 encodings",
                    f"{name}: {fault_code(response)}, {tracebacks} tracebacks, {len(records)} log records",
                )
    finally:
        root.removeHandler(handler)


def item11() -> None:
    from kassa_server.enterprisedata import FormatError, read_message
    from tests.enterprisedata.test_reader import HEAD, ITEM_18

    prologs = {
        "after a 70 KB comment": '<?xml version="1.0"?><!--' + "c" * 70_000 + '--><!DOCTYPE Message [<!ENTITY e "x">]>',
        "behind a PI": '<?xml version="1.0"?><?pi <!-- ?><!DOCTYPE Message [<!ENTITY e "x">]><!-- -->',
    }
    for name, prolog in prologs.items():
        data = (prolog + HEAD.format(v="1.8") + ITEM_18 + "</Body></Message>").encode()
        try:
            objects = list(read_message(io.BytesIO(data)))
            outcome = f"read, {len(objects)} object(s)"
        except FormatError as exc:
            outcome = f"{type(exc).__name__}"
        except Exception as exc:  # the generic 500 of the issue
            outcome = f"unexpected {type(exc).__name__}"
        report("§11 DTD", f"{name}: {outcome}")


def item16() -> None:
    with server() as base_url:
        body = envelope(
            "<m:PutFilePart><m:TransferId>6f1c3a8e-0000-4000-8000-000000000001</m:TransferId>"
            "<m:PartNumber>2147483648</m:PartNumber><m:PartData>UEs=</m:PartData></m:PutFilePart>"
        )
        report("§16 PartNumber", f"2**31 on SQLite: {fault_code(soap(base_url, body))}")
    from kassa_server.enterprisedata import FormatError, read_message
    from tests.enterprisedata.test_reader import HEAD, ITEM_18

    head = HEAD.replace("<msg:MessageNo>3</msg:MessageNo>", f"<msg:MessageNo>{2**64}</msg:MessageNo>")
    try:
        message_no = read_message(
            io.BytesIO((head.format(v="1.8") + ITEM_18 + "</Body></Message>").encode())
        ).header.message_no
        outcome = f"read as {message_no} (goes on to the database)"
    except FormatError as exc:
        outcome = type(exc).__name__
    report("§16 MessageNo", f"2**64: {outcome}")


ITEMS = {"1": item1, "2": item2, "3": item3, "4": item4, "5": item5, "6": item6, "7": item7, "11": item11, "16": item16}

if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    for key in sys.argv[1:] or list(ITEMS):
        ITEMS[key]()
