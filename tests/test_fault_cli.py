"""``kassa-server fault ...`` in a subprocess: a rule added from the command line fires in a running server."""

from __future__ import annotations

import subprocess
import sys

import httpx

from kassa_server.app import create_app
from kassa_server.settings import Settings
from tests.live_server import live_server


def _kassa(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args], capture_output=True, text=True
    )


def test_add_list_fire_remove_clear(sqlite_url: str) -> None:
    assert _kassa(sqlite_url, "demo").returncode == 0
    added = _kassa(
        sqlite_url,
        "fault",
        "add",
        "http_status",
        "--infobase",
        "kassa",
        "--times",
        "1",
        "--param",
        "status=404",
        "--operation",
        "TestConnection",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "fault rule 1: http_status"
    listed = _kassa(sqlite_url, "fault", "list").stdout.splitlines()
    assert listed[1].split("\t") == [
        "1",
        "http_status",
        "kassa",
        "*",
        "TestConnection",
        "*",
        "1",
        "1",
        "0",
        '{"status": 404}',
    ]
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<m:TestConnection xmlns:m="http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1">'
        "<m:ExchangePlanName>x</m:ExchangePlanName><m:PeerCode>y</m:PeerCode></m:TestConnection></s:Body></s:Envelope>"
    )
    with live_server(create_app(Settings(database_url=sqlite_url))) as base:
        url = f"{base}/kassa/ws/EnterpriseDataExchange_1_0_1_1"
        auth = httpx.BasicAuth("Кассир", "kassa")
        first = httpx.post(url, content=envelope.encode(), auth=auth, headers={"content-type": "text/xml"})
        second = httpx.post(url, content=envelope.encode(), auth=auth, headers={"content-type": "text/xml"})
    assert (first.status_code, first.text) == (404, "Not Found")
    assert "Envelope" in second.text  # the operation itself answered (a Fault for the unknown plan)
    spent = _kassa(sqlite_url, "fault", "list").stdout.splitlines()[1].split("\t")
    assert (spent[6], spent[8]) == ("0", "1")  # no firings left, fired once
    assert _kassa(sqlite_url, "fault", "remove", "1").stdout.strip() == "removed fault rule 1"
    missing = _kassa(sqlite_url, "fault", "remove", "1")
    assert missing.returncode == 1 and "no fault rule 1" in missing.stderr
    bad = _kassa(sqlite_url, "fault", "add", "delay", "--param", "nope")
    assert bad.returncode == 1 and "expected NAME=VALUE" in bad.stderr
    _kassa(sqlite_url, "fault", "add", "delay")
    assert _kassa(sqlite_url, "fault", "clear").stdout.strip() == "removed 1 fault rule(s)"
