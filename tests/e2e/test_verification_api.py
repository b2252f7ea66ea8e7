"""Verification over the API while a simulated device syncs: waiting until, call counts, journal, documents."""

from __future__ import annotations

import threading

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
