"""Every fault kind over real HTTP against the simulator: the device fails (or copes), retries, and in the end the
server holds every receipt it sent exactly once; the journal marks the injected call.

Uses the pytest plugin's ``kassa_server`` fixture, so the plugin is exercised on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kassa_server.pytest_plugin import KassaServer
from kassa_server.simulator import Device, DeviceConfig, SimulatorError, parse_qr


@dataclass(frozen=True)
class Case:
    service: str
    kind: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    times: int = 1
    fails: bool = True
    """Whether the sync with the fault fails (and the device must retry)."""

    def __str__(self) -> str:
        extra = "-".join(str(v) for v in self.params.values())
        return f"{self.service}-{self.kind}-{self.operation}{'-' + extra if extra else ''}"


CASES = [
    Case("ede", "delay", "GetDataPart", {"delay_ms": 20}, fails=False),
    Case("ede", "soap_fault", "PutData", {"text": "Ошибка блокировки объекта."}),
    Case("exchange", "soap_fault", "DownloadData"),
    Case("ede", "http_status", "PrepareDataForGetting", {"status": 503}),
    Case("ede", "http_status", "PutFilePart", {"status": 500}),
    Case("exchange", "http_status", "UploadData", {"status": 401}),
    Case("exchange", "http_status", "DownloadData", {"status": 404}),
    Case("ede", "disconnect", "PutData"),
    Case("ede", "disconnect", "GetDataPart"),
    Case("exchange", "disconnect", "DownloadData"),
    Case("ede", "truncate_part", "GetDataPart"),
    Case("exchange", "truncate_part", "GetFilePart"),
    Case("ede", "corrupt_part", "GetDataPart"),
    Case("ede", "bad_zip_checksum", "GetDataPart"),
    Case("exchange", "bad_zip_checksum", "GetFilePart"),
    Case("ede", "operation_active", "PrepareDataActionResult", times=3, fails=False),
    Case("ede", "operation_active", "PutDataActionResult", times=2, fails=False),
    Case("ede", "operation_failed", "PutDataActionResult", {"error_message": "Не удалось записать чек."}),
    Case("ede", "operation_failed", "PrepareDataActionResult"),
]


def _device(kassa: KassaServer, service: str) -> Device:
    params = parse_qr(kassa.qr(), kassa.password)
    return Device(DeviceConfig(params, service=service, poll_interval=0.01, timeout=30, seed=1))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_device_recovers_and_nothing_is_lost_or_duplicated(kassa_server: KassaServer, case: Case) -> None:
    device = _device(kassa_server, case.service)
    try:
        device.sync()  # the catalogue arrives
        device.open_shift()
        assert device.sell(card=False) is not None and device.sell(card=True) is not None
        rule = kassa_server.add_fault(case.kind, operation=case.operation, device=None, times=case.times, **case.params)
        if case.fails:
            with pytest.raises(SimulatorError):
                device.sync()
        else:
            device.sync()
        device.close()  # a failed connection is not reused
        device.sync()  # the retry; a sync after it picks up the server's acknowledgement
        device.sync()
    finally:
        device.close()

    assert kassa_server.faults()[0]["fired"] == case.times == rule["remaining"]
    injected = [e for e in kassa_server.journal() if e["injected_fault"]]
    assert [(e["operation"], e["injected_fault"]) for e in injected] == [(case.operation, case.kind)] * case.times
    receipts = kassa_server.receipts(device=kassa_server.device)
    assert len(receipts) == len({r["ref"] for r in receipts}) == device.state.receipts_sent == 2
    assert device.state.outbox == [] or all(entry.first_sent_in for entry in device.state.outbox)


def test_a_fault_for_another_device_or_operation_does_not_fire(kassa_server: KassaServer) -> None:
    kassa_server.add_fault("soap_fault", operation="PutData", device="another-device")
    kassa_server.add_fault("http_status", operation="NoSuchOperation", status=503)
    device = _device(kassa_server, "ede")
    try:
        device.sync()
    finally:
        device.close()
    assert all(rule["fired"] == 0 for rule in kassa_server.faults())
    assert kassa_server.calls(operation="PutData", device=kassa_server.device) == 1
