"""``kassa-server simulate`` as a user runs it (issue 13): asked for a password on a terminal and told in one line
without one, failures in words, the last progress line once, and ``--register`` writing the devices into the server's
database named by ``--database-url``, with a progress line."""

from __future__ import annotations

import itertools
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from kassa_server.app import create_app
from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from kassa_server.simulator import clear_wsdl_cache
from tests.live_server import live_server

pytestmark = pytest.mark.slow
FACTORY_NUMBER = "0000000001012345"  # the demo's register


def _kassa(*args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    return subprocess.run(
        [sys.executable, "-m", "kassa_server", *args],
        capture_output=True,
        text=True,
        stdin=stdin,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture
def demo_server(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    seeded = _kassa("--database-url", sqlite_url, "demo", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    with live_server(create_app(Settings(database_url=sqlite_url))) as base:
        yield base.removeprefix("http://")
    clear_wsdl_cache()


def _connection(server: str, *extra: str) -> list[str]:
    return ["simulate", "--server", server, "--base", "kassa", "--user", "Кассир", "--no-state", "--cycles", "1",
            "--interval", "0", *extra]  # fmt: skip


def _journaled(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(session.scalar(sql_select(func.count()).select_from(SoapCall)) or 0)
    finally:
        engine.dispose()


def test_without_a_password_or_terminal_one_line_and_no_call(demo_server: str, sqlite_url: str, tmp_path: Path) -> None:
    result = _kassa(*_connection(demo_server, "--factory-number", FACTORY_NUMBER), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.count("\n") == 1 and "password" in result.stderr and "KASSA_SIMULATOR_PASSWORD" in result.stderr
    )
    assert result.stdout == ""
    assert _journaled(sqlite_url) == 0  # it did not try the server with an empty password


def test_on_a_terminal_it_asks_for_the_password(demo_server: str, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    # a new session that takes the pty as its controlling terminal, as a login shell has one: getpass reads /dev/tty
    child = (
        "import os, sys; os.close(os.open(os.ttyname(0), os.O_RDWR)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'kassa_server', *sys.argv[1:]])"
    )
    argv = _connection(demo_server, "--factory-number", FACTORY_NUMBER, "--quiet")
    process = subprocess.Popen(
        [sys.executable, "-c", child, *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and "Password for Кассир:".encode() in output:
                os.write(master, b"kassa\n")
                answered = True
        assert process.wait(timeout=60) == 0, output.decode(errors="replace")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.decode(errors="replace")
    assert answered and "errors: none" in text and "kassa\r\n" not in text.split("Password for Кассир:")[1][:20]


def test_failures_in_words_and_the_last_progress_line_once(demo_server: str, tmp_path: Path) -> None:
    result = _kassa(*_connection(demo_server, "--factory-number", FACTORY_NUMBER, "--password", "wrong"), cwd=tmp_path)
    assert result.returncode == 1
    assert "wrong login or password (HTTP 401)" in result.stdout and "http_401" not in result.stdout
    assert "http_401" not in result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress and all(a != b for a, b in itertools.pairwise(progress)), progress


def test_register_writes_the_devices_into_the_servers_database(
    demo_server: str, sqlite_url: str, tmp_path: Path
) -> None:
    # the devices keep their state between the two runs, as real ones do: a device that forgot its message numbers
    # would resend a number the server accepted already, with other content, and be refused
    argv = [
        arg
        for arg in _connection(demo_server, "--password", "kassa", "--factory-number", "SIM", "--devices", "3")
        if arg != "--no-state"
    ] + ["--register", "--state-dir", str(tmp_path / "state")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = _kassa(*argv, cwd=elsewhere)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "--database-url" in refused.stderr
    assert list(elsewhere.iterdir()) == []  # never a default database file
    result = _kassa(*argv, "--database-url", sqlite_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "registering devices: 3/3" in result.stderr and "registered 3 devices" in result.stderr
    listed = _kassa("--database-url", sqlite_url, "device", "list", "--infobase", "kassa", cwd=tmp_path)
    assert {"SIM0001", "SIM0002", "SIM0003"} <= {line.split("\t")[0] for line in listed.stdout.splitlines()}
    again = _kassa(*argv, "--database-url", sqlite_url, cwd=tmp_path)
    # devices that have a state were registered before: they are not registered again, and they sync on
    assert again.returncode == 0 and "registering devices" not in again.stderr, again.stderr
    relisted = _kassa("--database-url", sqlite_url, "device", "list", "--infobase", "kassa", cwd=tmp_path)
    assert sorted(line.split("\t")[0] for line in relisted.stdout.splitlines() if line.startswith("SIM")) == [
        "SIM0001",
        "SIM0002",
        "SIM0003",
    ]
