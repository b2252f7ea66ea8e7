"""``serve`` writes uvicorn's access line per request unless told not to (``--no-access-log``, ``KASSA_ACCESS_LOG=0``);
the call journal records the SOAP calls either way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_get(sqlite_url: str, tmp_path: Path, flags: list[str], env: dict[str, str]) -> str:
    """Serve, GET ``/`` once, stop; what the server wrote to standard error."""
    port = _free_port()
    log = tmp_path / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kassa_server", "--database-url", sqlite_url, "serve", "--port", str(port), *flags],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/?probe=yes").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log.read_text()


@pytest.mark.parametrize(
    ("flags", "env", "logged"),
    [
        ([], {}, True),
        (["--no-access-log"], {}, False),
        ([], {"KASSA_ACCESS_LOG": "0"}, False),
    ],
)
def test_the_access_log_can_be_turned_off(
    sqlite_url: str, tmp_path: Path, flags: list[str], env: dict[str, str], logged: bool
) -> None:
    output = _serve_and_get(sqlite_url, tmp_path, flags, env)
    assert "Application startup complete" in output  # the server's own lines are there either way
    assert ('"GET /?probe=yes HTTP/1.1" 200' in output) is logged
