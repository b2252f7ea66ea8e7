"""Two `kassa-server serve` processes on one PostgreSQL behind Debian's nginx (round robin, the repo's
deploy/nginx/kassa.conf on loopback), simulated devices over HTTP through nginx (issue 12, goal 4).

One device alone first: nginx alternates the replicas on every request, so each step of a transfer and each poll of a
long operation lands on the other replica than the step before (the access log says which). Then a fleet runs, one
replica is killed with SIGKILL mid-run, and the devices carry on through the other; every receipt they sent is stored
exactly once.

Needs nginx (`/usr/sbin/nginx`, Debian's package): skipped without it unless ``KASSA_REQUIRE_NGINX=1`` (.ci/run).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, clear_wsdl_cache, register_devices

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
SITE_CONFIG = ROOT / "deploy" / "nginx" / "kassa.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
EDE = "EnterpriseDataExchange_1_0_1_1"


def _nginx_or_skip() -> str:
    if Path(NGINX).exists():
        return NGINX
    if os.environ.get("KASSA_REQUIRE_NGINX") == "1":
        pytest.fail("nginx is not installed but KASSA_REQUIRE_NGINX=1 (apt-get install -y nginx)")
    pytest.skip("nginx is not installed (apt-get install -y nginx)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(check: object, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        pause.wait(0.05)


class Replica:
    """``python -m kassa_server --database-url URL serve`` on 127.0.0.1:<port>, as if on a host of its own."""

    def __init__(self, database_url: str, log_dir: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = log_dir / f"replica-{self.port}.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "kassa_server", "--database-url", database_url, "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.popen = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **env})

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.popen.poll() is None, f"replica exited: {self.log_path.read_text()[-2000:]}"
            try:
                return requests.get(f"http://{self.address}/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait_until(ready, f"replica {self.address} ready")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


class Nginx:
    """nginx in the foreground with its own prefix, config, pid, temp and log files; the site is the repo's
    deploy/nginx/kassa.conf with the replicas' loopback addresses and a loopback listen port put in."""

    def __init__(self, prefix: Path, upstreams: list[str]) -> None:
        self.prefix = prefix
        self.port = _free_port()
        self.access_log = prefix / "access.log"
        self.error_log = prefix / "error.log"
        site = SITE_CONFIG.read_text()
        servers = re.findall(r"^(\s*)server kassa-\d+:8080( [^;]*);$", site, flags=re.M)
        assert len(servers) >= 2, "deploy/nginx/kassa.conf: expected the upstream's `server kassa-N:8080 …;` lines"
        indent, options = servers[0]
        site = re.sub(r"^\s*server kassa-\d+:8080[^;]*;\n", "", site, flags=re.M)
        site = site.replace(
            "upstream kassa {\n", "upstream kassa {\n" + "".join(f"{indent}server {u}{options};\n" for u in upstreams)
        )
        site, listens = re.subn(r"^(\s*)listen 80;$", rf"\1listen 127.0.0.1:{self.port};", site, flags=re.M)
        assert listens == 1, "deploy/nginx/kassa.conf: expected one `listen 80;`"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / name).mkdir(parents=True, exist_ok=True)
        temp = "\n".join(f"    {name}_temp_path {prefix / name};" for name in ("client_body", "proxy"))
        temp += "\n" + "\n".join(f"    {name}_temp_path {prefix / name};" for name in ("fastcgi", "uwsgi", "scgi"))
        (prefix / "nginx.conf").write_text(
            f"""daemon off;
master_process off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {self.error_log} warn;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$upstream_addr $status $request_method $http_soapaction';
    access_log {self.access_log} upstreams;
{temp}
{site}
}}
"""
        )
        command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(self.error_log)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        self.popen = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def ready() -> bool:
            assert self.popen.poll() is None, f"nginx exited: {self.error_log.read_text()[-2000:]}"
            try:
                return requests.get(f"http://127.0.0.1:{self.port}/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        try:
            _wait_until(ready, "nginx ready", timeout=30)
        except BaseException:
            self.stop()  # never leave it running
            raise

    def log_lines(self) -> list[tuple[str, str, str]]:
        """(upstream, status, SOAP operation) of each POST in the access log so far, in order."""
        lines = []
        for line in self.access_log.read_text().splitlines():
            upstream, status, method, action = [*line.split(" ", 3), "", "", ""][:4]
            if method == "POST":  # SOAPAction "…#Service:Operation", its quotes escaped by nginx as \x22
                operation = re.search(r"(\w+)(?:\\x22|\")?$", action)
                lines.append((upstream, status, operation.group(1) if operation else action))
        return lines

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stderr is not None:
            self.popen.stderr.close()


@contextlib.contextmanager
def topology(database_url: str, tmp: Path, replicas: int = 2) -> Iterator[tuple[Nginx, list[Replica]]]:
    env = {"KASSA_PROTOCOL_OPERATION_ACTIVE_POLLS": "1", "KASSA_TRUSTED_PROXIES": "127.0.0.1/32"}
    started: list[Replica] = []
    nginx: Nginx | None = None
    try:
        for _ in range(replicas):
            started.append(Replica(database_url, tmp, env))
        for replica in started:
            replica.wait_ready()
        nginx = Nginx(tmp / "nginx", [replica.address for replica in started])
        yield nginx, started
    finally:
        if nginx is not None:
            nginx.stop()
        for replica in started:
            replica.stop()
        clear_wsdl_cache()


def _kassa(db_url: str, *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


def _configs(port: int, tmp: Path, count: int) -> list[DeviceConfig]:
    params = ConnectionParams(f"127.0.0.1:{port}", "kassa", False, "Кассир", "kassa", "LB")
    return [
        DeviceConfig(
            params.with_application_id(f"LB-{n}"),
            service="ede",
            state_path=tmp / "state" / f"{n}.json",
            receipts_per_cycle=2,
            shift_cycles=3,
            return_share=0.3,
            poll_interval=0.02,
            timeout=60,
            seed=n,
        )
        for n in range(1, count + 1)
    ]


def test_two_replicas_behind_nginx_share_transfers_and_survive_a_kill_postgres(
    postgres_databases: object, tmp_path: Path
) -> None:
    nginx_binary = _nginx_or_skip()
    assert nginx_binary
    db_url = postgres_databases.create()  # type: ignore[attr-defined]
    _kassa(db_url, "demo", "--infobase", "kassa")
    with topology(db_url, tmp_path) as (nginx, replicas):
        configs = _configs(nginx.port, tmp_path, 4)
        command = shlex.join([sys.executable, "-m", "kassa_server", "--database-url", db_url])
        command += " device add --infobase {base} --factory-number {factory_number} --name {name}"
        assert register_devices(configs, command) == []
        addresses = {replica.address for replica in replicas}

        # 1. one device alone: every request goes to the other replica than the one before
        alone = Fleet(configs[:1], cycles=2, interval=0).run()
        assert alone.ok, alone.format()
        calls = nginx.log_lines()
        assert {upstream for upstream, _, _ in calls} == addresses
        assert all(status == "200" for _, status, _ in calls), calls
        assert all(a[0] != b[0] for a, b in itertools.pairwise(calls)), calls
        operations = [operation for _, _, operation in calls]
        # a long operation started on one replica and polled on the other, then its parts fetched across both
        assert "PrepareDataForGetting" in operations and "PrepareDataActionResult" in operations, operations
        started_at = operations.index("PrepareDataForGetting")
        assert operations[started_at + 1] == "PrepareDataActionResult"
        assert calls[started_at][0] != calls[started_at + 1][0]
        assert "PutData" in operations and "PutFilePart" in operations, operations

        # 2. the whole fleet; one replica SIGKILLed once the fleet is under way
        seen = len(calls)
        fleet = Fleet(configs, cycles=6, interval=0)
        runner = threading.Thread(target=fleet.run)
        runner.start()
        try:
            _wait_until(lambda: fleet.progress().cycles >= 4, "the fleet's first cycles")
            victim, survivor = replicas
            victim.popen.send_signal(signal.SIGKILL)
            victim.popen.wait()
            killed_at = len(nginx.log_lines())
        finally:
            runner.join(timeout=240)
        assert not runner.is_alive(), "the fleet did not finish"
        during = fleet.summary(0.0)
        print(f"killed {victim.address} after {killed_at} calls through nginx; the fleet:\n{during.format()}")
        # only calls cut off by the kill may fail: 502 from nginx (a request the dead replica had taken)
        assert all(kind.startswith("the proxy in front of the server failed (HTTP 502)") for kind in during.errors), (
            during.format()
        )
        assert sum(during.errors.values()) <= len(configs), during.format()
        assert during.cycles >= len(configs) * 6 - len(configs), during.format()  # one failed cycle per device at most
        after_kill = nginx.log_lines()[killed_at:]
        assert after_kill, "no calls after the kill"
        # nginx finds the dead replica refusing connections and sends everything to the survivor
        assert [call for call in after_kill if call[1] == "200" and call[0] != survivor.address] == []

        # 3. every device carries on through the survivor alone, with no error at all
        carry_on = Fleet(configs, cycles=2, interval=0).run()
        assert carry_on.ok, carry_on.format()
        assert carry_on.cycles == 2 * len(configs) and carry_on.receipts_confirmed == carry_on.receipts_sent
        assert carry_on.documents_unconfirmed == 0
        assert nginx.log_lines()[seen:], "nothing went through nginx"

    sent = 0
    for config in configs:
        assert config.state_path is not None
        sent += json.loads(config.state_path.read_text())["receipts_sent"]
    engine = create_engine(db_url)
    with engine.connect() as connection:
        total, distinct = connection.execute(text("SELECT count(*), count(DISTINCT ref) FROM receipts")).one()
    engine.dispose()
    assert total == distinct == sent > 0  # every receipt the devices sent, stored exactly once
