"""The server as a real process: several uvicorn workers share transfers through the database, and an aborted
large download does not keep the server from shutting down."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from kassa_server.exchange.files import TransferStore
from kassa_server.models.engine import make_engine, make_sessionmaker
from tests.soap_support import infobase_id, make_infobase, zip_bytes
from tests.transport.test_http_edge import TNS, envelope

LOGIN, PASSWORD = "оператор", "секрет"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_process(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen, str]]:
    make_infobase(db_url, "kassa", LOGIN, PASSWORD)
    workers = getattr(request, "param", 1)
    port = _free_port()
    env = {**os.environ, "KASSA_DATABASE_URL": db_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "kassa_server.app:create_app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/kassa/ws/Exchange_2_0_1_6/ping").status_code == 401:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:  # stopped as a service manager would: the supervisor stops its workers
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _soap(base: str, body: str) -> httpx.Response:
    with httpx.Client(auth=(LOGIN.encode(), PASSWORD.encode())) as client:  # a new connection per call
        return client.post(
            base + "/kassa/ws/Exchange_2_0_1_6", content=envelope(body), headers={"content-type": "text/xml"}
        )


def _text(response: httpx.Response, name: str) -> str:
    from lxml import etree

    return etree.fromstring(response.content).find(f".//{{{TNS}}}{name}").text or ""


def test_aborted_download_then_sigterm_exits_promptly(
    server_process: tuple[subprocess.Popen, str], db_url: str
) -> None:
    process, base = server_process
    engine = make_engine(db_url)
    try:
        store = TransferStore(make_sessionmaker(engine))
        transfer = str(uuid.uuid4())
        store.put_outgoing(infobase_id(db_url, "kassa"), transfer, os.urandom(1024 * 1024), None)
    finally:
        engine.dispose()
    request = envelope(
        f"<m:GetFilePart><m:TransferId>{transfer}</m:TransferId><m:PartNumber>1</m:PartNumber></m:GetFilePart>"
    )
    credentials = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /kassa/ws/Exchange_2_0_1_6 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            + f"Authorization: Basic {credentials}\r\nContent-Length: {len(request)}\r\n\r\n".encode()
            + request
        )
        received = sock.recv(64 * 1024)
        assert received.startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset, midway
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=5)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("server_process", [2], indirect=True)
def test_two_workers_share_transfers_and_operations(server_process: tuple[subprocess.Popen, str], db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers are tested on PostgreSQL")
    _, base = server_process
    payload = zip_bytes([("Message_1.xml", os.urandom(5000).hex().encode())], level=0)
    transfer = str(uuid.uuid4())
    pieces = [payload[i : i + 1024] for i in range(0, len(payload), 1024)]
    for number, piece in enumerate(pieces, start=1):
        body = (
            f"<m:PutFilePart><m:TransferId>{transfer}</m:TransferId><m:PartNumber>{number}</m:PartNumber>"
            f"<m:PartData>{base64.b64encode(piece).decode()}</m:PartData></m:PutFilePart>"
        )
        assert _soap(base, body).status_code == 200
    saved = _soap(
        base,
        f"<m:SaveFileFromParts><m:TransferId>{transfer}</m:TransferId><m:PartQuantity>{len(pieces)}</m:PartQuantity></m:SaveFileFromParts>",
    )
    assert saved.status_code == 200 and uuid.UUID(_text(saved, "FileId"))
    missing = _soap(
        base,
        f"<m:GetContinuousOperationStatus><m:Operation>{uuid.uuid4()}</m:Operation></m:GetContinuousOperationStatus>",
    )
    assert _text(missing, "return") == "Canceled"


@pytest.mark.parametrize("server_process", [2], indirect=True)
def test_workers_stop_when_the_supervisor_is_killed(server_process: tuple[subprocess.Popen, str], db_url: str) -> None:
    """SIGKILL leaves the supervisor no chance to stop its workers: each worker notices and stops by itself."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers are tested on PostgreSQL")
    process, base = server_process
    descendants = psutil.Process(process.pid).children(recursive=True)
    workers = [p for p in descendants if "resource_tracker" not in " ".join(_cmdline(p))]
    assert len(workers) == 2, [_cmdline(p) for p in descendants]
    process.kill()
    process.wait()
    _, alive = psutil.wait_procs(descendants, timeout=60)
    assert not alive, f"still running after their supervisor was killed: {[p.pid for p in alive]}"
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/kassa/ws/Exchange_2_0_1_6/ping")


def _cmdline(process: psutil.Process) -> list[str]:
    """A child's command line; empty for one that has exited meanwhile (a helper process under load)."""
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return []
