"""Record a simulator's session through the recording proxy with kassa-server as the upstream, replay the cassette to a
second run of the same simulator, and compare; the same with a cassette exported from the server's own journal."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kassa_server.pytest_plugin import KassaServer
from kassa_server.record.cassette import read
from kassa_server.record.proxy import RecordingProxy
from kassa_server.record.replay import ReplayServer
from kassa_server.simulator import Device, DeviceConfig, parse_qr
from tests.live_server import live_server


def _session(kassa: KassaServer, base_url: str, service: str) -> Device:
    """The same client run every time: the catalogue, a shift with two sales, their upload, the acknowledgement."""
    params = dataclasses.replace(parse_qr(kassa.qr(), kassa.password), server=urlsplit(base_url).netloc)
    device = Device(DeviceConfig(params, service=service, poll_interval=0.01, timeout=30, seed=7))
    try:
        device.sync()
        device.open_shift()
        device.sell(card=False)
        device.sell(card=True)
        device.sync()
        device.sync()
    finally:
        device.close()
    return device


@pytest.mark.parametrize("service", ["ede", "exchange"])
def test_a_recorded_session_replays_to_a_second_run(kassa_server: KassaServer, tmp_path: Path, service: str) -> None:
    cassette = tmp_path / "cassette"
    with live_server(RecordingProxy(f"{kassa_server.base_url}/kassa", cassette)) as proxy_url:
        recorded = _session(kassa_server, proxy_url, service)
    files = sorted(cassette.glob("*.json"))
    assert len(files) == kassa_server.calls() > 10
    first = json.loads(files[0].read_text(encoding="utf-8"))
    assert first["request"]["headers"]["authorization"] == "***"
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    assert "Basic " not in text and kassa_server.base_url not in text and "{{base_url}}" in text
    unpacked = sorted(cassette.glob("*.response-1.xml"))
    assert unpacked and b"<Message" in unpacked[0].read_bytes()[:400]
    assert list(cassette.glob("*.request-1.xml"))  # the device's upload, unpacked too

    replay = ReplayServer.from_directory(cassette)
    with live_server(replay) as replay_url:
        replayed = _session(kassa_server, replay_url, service)
        assert httpx.get(f"{replay_url}/_replay/unmatched").json() == []
    assert replay.unmatched == [] and len(replay.used) == len(files)
    assert len(recorded.state.items) > 50 and replayed.state.items == recorded.state.items
    assert replayed.state.received_no == recorded.state.received_no
    assert replayed.state.receipts_confirmed == recorded.state.receipts_confirmed == 2
    assert replay.report() == f"replay: {len(files)} of {len(files)} recorded calls used"


def test_a_call_the_cassette_lacks_is_reported(tmp_path: Path) -> None:
    replay = ReplayServer([])
    with live_server(replay) as url:
        answer = httpx.post(f"{url}/kassa/ws/EnterpriseDataExchange_1_0_1_1", content=b"<x/>")
    assert answer.status_code == 404
    assert replay.unmatched == [
        {"method": "POST", "path": "/kassa/ws/EnterpriseDataExchange_1_0_1_1", "query": "", "operation": ""}
    ]
    assert "no match: POST /kassa/ws/EnterpriseDataExchange_1_0_1_1" in replay.report()


def test_the_journal_exports_the_same_session_in_the_same_format(kassa_server: KassaServer, tmp_path: Path) -> None:
    proxied = tmp_path / "proxied"
    with live_server(RecordingProxy(f"{kassa_server.base_url}/kassa", proxied)) as proxy_url:
        _session(kassa_server, proxy_url, "ede")
    exported = tmp_path / "exported"
    export = subprocess.run(
        [
            *(sys.executable, "-m", "kassa_server", "--database-url", kassa_server.database_url),
            *("journal", "export", "--infobase", "kassa", "--cassette", str(exported)),
        ],
        capture_output=True,
        text=True,
    )
    assert export.returncode == 0, export.stderr
    ours, theirs = read(exported), read(proxied)
    assert export.stdout.strip() == f"wrote {len(ours)} calls to {exported}"
    soap = [i for i in theirs if i.method == "POST"]
    assert [(i.path, i.operation, i.response.status) for i in ours] == [
        (i.path, i.operation, i.response.status) for i in soap
    ]
    # served back, the exported cassette answers each of its own requests with what the server answered
    replay = ReplayServer(ours)
    with live_server(replay) as url:
        for interaction in ours:
            answer = httpx.post(url + interaction.path, content=interaction.request.body.encode())
            assert (answer.status_code, answer.text) == (interaction.response.status, interaction.response.body)
    assert replay.unmatched == []
