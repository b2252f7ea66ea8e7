"""The simulator against our real server: uvicorn on loopback, a demo infobase, three registered devices, a few
cycles over each service; then the database must hold every receipt the devices sent, exactly once."""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine, text

from kassa_server.app import create_app
from kassa_server.settings import Settings
from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, clear_wsdl_cache, register_devices

pytestmark = pytest.mark.slow


def _kassa(db_url: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture
def server_port(db_url: str, tmp_path: Path) -> Iterator[int]:
    settings = Settings(database_url=db_url, data_dir=str(tmp_path / "data"))
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield int(server.servers[0].sockets[0].getsockname()[1])
    server.should_exit = True
    thread.join(timeout=30)
    clear_wsdl_cache()  # the next test's server has another port, hence other WSDL URLs anyway


@pytest.mark.parametrize("service", ["ede", "exchange"])
def test_three_devices_sync_and_every_receipt_lands_once(
    service: str, db_url: str, server_port: int, tmp_path: Path
) -> None:
    _kassa(db_url, "demo", "--infobase", "kassa")
    params = ConnectionParams(f"127.0.0.1:{server_port}", "kassa", False, "Кассир", "kassa", "E2E")
    configs = [
        DeviceConfig(
            params.with_application_id(f"E2E-{service}-{n}"),
            service=service,
            state_path=tmp_path / "state" / f"{n}.json",
            receipts_per_cycle=2,
            shift_cycles=2,
            order_payment_share=1.0,
            return_share=0.5,
            poll_interval=0.05,
            timeout=60,
            seed=n,
        )
        for n in range(1, 4)
    ]
    command = shlex.join([sys.executable, "-m", "kassa_server", "--database-url", db_url]) + (
        " device add --infobase {base} --factory-number {factory_number} --name {name}"
    )
    assert register_devices(configs, command) == []

    summary = Fleet(configs, cycles=3, interval=0).run()

    assert summary.ok, summary.format()
    assert summary.cycles == 9 and summary.failed_cycles == 0
    assert summary.receipts_sent > 0
    assert summary.receipts_confirmed == summary.receipts_sent
    assert summary.documents_unconfirmed == 0
    assert summary.latencies["cycle"].count == 9
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            total, distinct = connection.execute(text("SELECT count(*), count(DISTINCT ref) FROM receipts")).one()
    finally:
        engine.dispose()
    assert total == distinct == summary.receipts_sent
