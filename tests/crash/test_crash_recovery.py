"""No receipt is lost when the server dies (issue 14, item 12).

``kassa-server serve`` runs as a real process on a free port with a fresh database. It is armed with a test-only crash
point (``KASSA_TEST_CRASH_POINT``, kassa_server/crashpoints.py), so it kills itself with SIGKILL: while the parts of
the device's message arrive, while the message is being imported (before the commit), or after the commit but before
the device hears ``Completed``. The simulated device, meanwhile, sells more receipts; the server is restarted, the
device retries, and every receipt it ever made must be in the database exactly once, on SQLite and PostgreSQL, over
both services.

Before the simulator numbered a message once and resent it, the retry after ``import-committed`` re-used the committed
number for the new receipts; the server skipped it as a duplicate and 5 of the 10 receipts were lost.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, DEMO_INFOBASE, DEMO_LOGIN, DEMO_PASSWORD
from kassa_server.models import Receipt
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.simulator import ConnectionParams, DeviceConfig, clear_wsdl_cache
from kassa_server.simulator.device import Device
from kassa_server.simulator.soap import SimulatorError

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m kassa_server serve --demo`` on ``port``; ``crash_point`` arms KASSA_TEST_CRASH_POINT."""

    def __init__(self, db_url: str, port: int, log: Path, crash_point: str = "") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
        env["KASSA_TEST_CRASH_POINT"] = crash_point
        self.log = log.open("ab")
        command = [sys.executable, "-m", "kassa_server", "--database-url", db_url, "serve", "--demo"]
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"the server exited with {self.process.returncode}: see {log}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"the server did not start: see {log}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
    clear_wsdl_cache()


def _stored_receipts(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return [str(ref) for ref in session.scalars(select(Receipt.ref))]
    finally:
        engine.dispose()


def _sell(device: Device, count: int) -> list[str]:
    if not device.state.shift_open:
        device.open_shift()
    refs = []
    for _ in range(count):
        receipt = device.sell()
        assert receipt is not None
        refs.append(receipt.ref)
    return refs


@pytest.mark.parametrize("service", ["ede", "exchange"])
@pytest.mark.parametrize("point", ["part-stored:2", "import-applied:2", "import-committed:2"])
def test_every_receipt_is_stored_once_after_a_crash_and_a_retry(
    db_url: str, tmp_path: Path, servers: list[Server], service: str, point: str
) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    servers.append(Server(db_url, port, log, crash_point=point))
    params = ConnectionParams(f"127.0.0.1:{port}", DEMO_INFOBASE, False, DEMO_LOGIN, DEMO_PASSWORD, DEMO_FACTORY_NUMBER)
    config = DeviceConfig(
        params, service=service, state_path=tmp_path / "device.json", part_kb=1, poll_interval=0.05, timeout=30
    )
    device = Device(config)
    device.sync()  # the catalogue comes down; the first upload (1 part, import 1) goes through
    sold = _sell(device, 5)

    with pytest.raises(SimulatorError):
        device.sync()  # the server dies at the crash point (parts 2…, or import 2)
    assert servers[0].process.wait(timeout=30) == -signal.SIGKILL
    device.close()  # the app's next attempt opens new connections
    sold += _sell(device, 5)  # the till keeps selling while the server is down

    servers.append(Server(db_url, port, log))
    device.sync()  # the retry: the message built before the crash, as it was, then one with the new receipts
    device.sync()  # the server's acknowledgement of both
    stored = _stored_receipts(db_url)
    assert sorted(stored) == sorted(sold), f"{len(set(sold) - set(stored))} receipts lost"
    assert device.state.outbox == [] and device.state.pending is None
    device.close()
