"""``Limits.heavy_calls``: calls that build or import a whole exchange message take turns (issue 12, goal 5).

Over real HTTP with zeep: the fake gateway's export blocks until the test lets it go, so which call runs and which
waits is decided by the server, never by timing."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pytest
import requests
import zeep.exceptions

from kassa_server.app import create_app
from kassa_server.settings import Limits, Settings
from tests.live_server import live_server
from tests.soap_support import NODE, PLAN, FakeGateway, SoapServer, make_infobase, zeep_client

UPLOAD = (PLAN, NODE, "", False, "", False)
"""UploadData's arguments: a new file, no long operation."""
WAIT = 60.0
"""Bound of every wait for the server to reach a state (never the expected duration of anything)."""


@dataclass
class BlockingGateway(FakeGateway):
    """Exports block until ``go`` is set; counts the exports running at once."""

    go: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)
    active: int = 0
    most_at_once: int = 0
    exports: int = 0

    def export_message(self, infobase: str, plan: str, node_code: str, out: BinaryIO) -> None:
        with self.lock:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        self.entered.set()
        try:
            assert self.go.wait(WAIT), "the test never let the export go"
            super().export_message(infobase, plan, node_code, out)
        finally:
            with self.lock:
                self.active -= 1
                self.exports += 1


@dataclass
class Served:
    server: SoapServer
    app: Any
    gateway: BlockingGateway

    def waiting(self) -> int:
        return int(self.app.state.endpoints.heavy.statistics().tasks_waiting)

    def until_waiting(self, count: int) -> None:
        what = f"{count} heavy calls waiting"
        deadline = time.monotonic() + WAIT
        while self.waiting() != count:
            assert time.monotonic() < deadline, f"the server never reached: {what}"
            time.sleep(0.01)


@contextlib.contextmanager
def serve(db_url: str, limits: Limits) -> Iterator[Served]:
    gateway = BlockingGateway()
    make_infobase(db_url)
    app = create_app(Settings(database_url=db_url, limits=limits), gateway=gateway)
    with live_server(app) as base_url:
        try:
            yield Served(SoapServer(base_url, db_url, gateway), app, gateway)
        finally:
            gateway.go.set()


def in_thread(results: dict[str, Any], name: str, call: Any, *args: Any) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = call(*args)
        except Exception as exc:  # the test looks at what came back
            results[name] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_heavy_calls_beyond_the_limit_wait_for_a_turn_without_holding_a_thread(db_url: str) -> None:
    """Limit 1 and 2 worker threads: while one export runs, two more (one per service) wait for their turn holding no
    thread, so a Ping is still answered; then all three complete, never two at once."""
    with serve(db_url, Limits(heavy_calls=1, worker_threads=2)) as served:
        exchange = zeep_client(served.server, "Exchange_2_0_1_6").service
        ede = zeep_client(served.server, "EnterpriseDataExchange_1_0_1_1").service
        results: dict[str, Any] = {}
        threads = [in_thread(results, "first", exchange.UploadData, *UPLOAD)]
        assert served.gateway.entered.wait(WAIT)
        threads.append(in_thread(results, "second", ede.PrepareDataForGetting, PLAN, NODE, 0))
        threads.append(in_thread(results, "third", exchange.UploadData, *UPLOAD))
        served.until_waiting(2)
        assert exchange.Ping() in ("", None)  # a light call has a thread: the waiting calls hold none
        assert served.gateway.active == 1
        served.gateway.go.set()
        for thread in threads:
            thread.join(WAIT)
        assert not any(isinstance(result, Exception) for result in results.values()), results
        assert results["first"]["FileID"] and results["third"]["FileID"]
        assert results["second"]["OperationID"]
        assert (served.gateway.exports, served.gateway.most_at_once) == (3, 1)


ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:m="http://www.1c.ru/SSL/Exchange_2_0_1_6"><soap:Body><m:UploadData>'
    f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode>"
    "</m:UploadData></soap:Body></soap:Envelope>"
)


def test_a_heavy_call_that_finds_no_turn_in_time_is_told_to_come_back(db_url: str) -> None:
    """With no wait allowed, a second export while one runs is answered 503 with Retry-After (the protocol has no
    "busy" fault; zeep sees a transport error, as 1C's client would); the first one is not disturbed, and the next
    export after it runs normally."""
    with serve(db_url, Limits(heavy_calls=1, heavy_call_wait_seconds=0)) as served:
        exchange = zeep_client(served.server, "Exchange_2_0_1_6").service
        results: dict[str, Any] = {}
        first = in_thread(results, "first", exchange.UploadData, *UPLOAD)
        assert served.gateway.entered.wait(WAIT)
        with pytest.raises(zeep.exceptions.TransportError) as refused:
            exchange.UploadData(PLAN, NODE, "", False, "", False)
        assert refused.value.status_code == 503
        answer = requests.post(
            served.server.url(),
            data=ENVELOPE.encode(),
            headers={"content-type": "text/xml; charset=utf-8"},
            auth=served.server.auth,
            timeout=WAIT,
        )
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
        assert exchange.Ping() in ("", None)  # light calls are not refused
        served.gateway.go.set()
        first.join(WAIT)
        assert results["first"]["FileID"]
        assert exchange.UploadData(PLAN, NODE, "", False, "", False)["FileID"]
        assert served.gateway.exports == 2
