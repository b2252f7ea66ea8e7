"""The simulator's template engine (simulator/engine.py) and its multi-process, open-loop fleet, against our real
server over HTTP: the same flows as zeep's, the receipts land once, and a template that disagrees with the WSDL is
refused at start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kassa_server.app import create_app
from kassa_server.settings import ProtocolOptions, Settings
from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, clear_wsdl_cache
from kassa_server.simulator import engine as template_engine
from kassa_server.simulator.soap import CallRecorder, SimulatorError
from tests.live_server import live_server

pytestmark = pytest.mark.slow


def _kassa(db_url: str, *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


def _receipts(db_url: str) -> tuple[int, int]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        total, distinct = connection.execute(text("SELECT count(*), count(DISTINCT ref) FROM receipts")).one()
    engine.dispose()
    return int(total), int(distinct)


def _configs(base_url: str, tmp: Path, names: list[str], service: str) -> list[DeviceConfig]:
    params = ConnectionParams(base_url.removeprefix("http://"), "kassa", False, "Кассир", "kassa", "T")
    return [
        DeviceConfig(
            params.with_application_id(name),
            service=service,
            engine="template",
            state_path=tmp / "state" / f"{name}.json",
            receipts_per_cycle=2,
            shift_cycles=2,
            return_share=0.5,
            order_payment_share=1.0,
            poll_interval=0.02,
            timeout=60,
            seed=n,
        )
        for n, name in enumerate(names)
    ]


def test_template_engine_runs_both_services_and_a_two_process_open_loop_fleet(sqlite_url: str, tmp_path: Path) -> None:
    _kassa(sqlite_url, "demo", "--infobase", "kassa")
    names = ["TPL-EDE", "TPL-EXCH", "TPL-P1", "TPL-P2", "TPL-P3"]
    for name in names:
        _kassa(sqlite_url, "device", "add", "--infobase", "kassa", "--factory-number", name, "--name", name)
    settings = Settings(database_url=sqlite_url, protocol=ProtocolOptions(operation_active_polls=1))
    try:
        with live_server(create_app(settings)) as base_url:
            for name, service in (("TPL-EDE", "ede"), ("TPL-EXCH", "exchange")):
                summary = Fleet(_configs(base_url, tmp_path, [name], service), cycles=3, interval=0).run()
                assert summary.ok, summary.format()
                assert summary.cycles == 3 and summary.receipts_sent > 0
                assert summary.receipts_confirmed == summary.receipts_sent and summary.documents_unconfirmed == 0

            fleet = Fleet(
                _configs(base_url, tmp_path, names[2:], "ede"), cycles=2, interval=0.2, open_loop=True, processes=2
            )
            summary = fleet.run()
            assert summary.ok, summary.format()
            assert summary.devices == 3 and summary.cycles == 6
            assert summary.latencies["cycle from schedule"].count == 6
            assert summary.receipts_confirmed == summary.receipts_sent > 0
    finally:
        clear_wsdl_cache()
        template_engine._compiled.clear()
    total, distinct = _receipts(sqlite_url)
    sent = sum(json.loads((tmp_path / "state" / f"{name}.json").read_text())["receipts_sent"] for name in names)
    assert total == distinct == sent


def test_a_template_that_disagrees_with_the_wsdl_is_refused(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = template_engine._compile

    def broken(document: object, service: str) -> dict[str, object]:
        operations = real(document, service)
        name = "TestConnection" if "TestConnection" in operations else next(iter(operations))
        op = operations[name]
        operations[name] = type(op)(op.name, op.action, op.head, tuple(reversed(op.slots)), op.tail, op.output)
        return operations  # type: ignore[return-value]

    monkeypatch.setattr(template_engine, "_compile", broken)
    _kassa(sqlite_url, "demo", "--infobase", "kassa")
    try:
        with live_server(create_app(Settings(database_url=sqlite_url))) as base_url:
            params = ConnectionParams(base_url.removeprefix("http://"), "kassa", False, "Кассир", "kassa", "X")
            service = template_engine.TemplateService(params, "EnterpriseDataExchange_1_0_1_1", CallRecorder())
            with pytest.raises(SimulatorError, match="disagrees with the WSDL"):
                service.call("Ping")
            service.close()
    finally:
        clear_wsdl_cache()
        template_engine._compiled.clear()
