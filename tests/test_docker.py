"""The Docker image and compose file (issue 13). No Docker engine runs here, so the image's contract is checked by
running what it runs: the Dockerfile's CMD with its ENV, probed by its own HEALTHCHECK command, with and without
KASSA_DEMO; and the deployment properties (non-root, pinned installs, restart policy, volumes, no default password)
are read from the files."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, rest in _instructions():
        if name == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))  # type: ignore[misc]
    return env


def _command(argv: list[str]) -> list[str]:
    """The container's command run here: ``kassa-server`` is this interpreter's ``-m kassa_server``."""
    return (
        [sys.executable, "-m", "kassa_server", *argv[1:]] if argv[0] == "kassa-server" else [sys.executable, *argv[1:]]
    )


def _one(name: str) -> str:
    found = [rest for instruction, rest in _instructions() if instruction == name]
    assert len(found) == 1, f"one {name} expected, found {found}"
    return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_image_runs_as_a_user_and_installs_pinned_versions() -> None:
    instructions = _instructions()
    users = [rest for name, rest in instructions if name == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    last_run = max(i for i, (name, _) in enumerate(instructions) if name == "RUN")
    assert max(i for i, (name, _) in enumerate(instructions) if name == "USER") > last_run
    installs = [rest for name, rest in instructions if name == "RUN" and "pip install" in rest]
    assert installs and all("-c constraints.txt" in rest for rest in installs)
    assert any("constraints.txt" in rest for name, rest in instructions if name == "COPY")
    assert "--demo" not in _one("CMD")


def test_compose_restarts_keeps_named_volumes_and_publishes_no_password() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    services = re.split(r"\n  (?=\w)", compose.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0])
    assert len(services) >= 2 and all("restart: unless-stopped" in service for service in services)
    named = re.findall(r"^  ([\w-]+):\s*$", compose.split("\nvolumes:\n", 1)[1], re.M)
    mounted = re.findall(r"^\s+- ([\w-]+):/", compose, re.M)
    assert mounted and set(mounted) <= set(named)
    required = r"\$\{POSTGRES_PASSWORD:\?[^}]*\}"  # from the environment, refusing to start without it
    settings = re.findall(r"^\s+POSTGRES_PASSWORD:\s*(.*)$", compose, re.M)
    assert settings and all(re.fullmatch(required, value) for value in settings)
    urls = re.findall(r"://[^:/@\s]+:(.*)@", compose)
    assert urls and all(re.fullmatch(required, password) for password in urls)
    assert "KASSA_PUBLIC_URL:" in compose


def test_compose_puts_replicas_behind_nginx_with_the_tested_config() -> None:
    """nginx (deploy/nginx/kassa.conf, the file tests/e2e/test_nginx_replicas.py runs) → kassa-1, kassa-2 → db."""
    compose = (ROOT / "docker-compose.yml").read_text()
    names = re.findall(r"^  ([\w-]+):\s*$", compose.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0], re.M)
    assert names == ["db", "kassa-1", "kassa-2", "nginx"]
    assert "./deploy/nginx/kassa.conf:/etc/nginx/conf.d/default.conf:ro" in compose
    site = (ROOT / "deploy" / "nginx" / "kassa.conf").read_text()
    assert re.findall(r"^\s*server (kassa-\d+):8080\b", site, re.M) == ["kassa-1", "kassa-2"]
    assert (
        len(re.findall(r"^\s+KASSA_DEMO:", compose, re.M)) == 1
    )  # only the first replica seeds; the second starts once it is healthy


@pytest.fixture
def container(tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen] = []

    def start(**extra: str) -> tuple[subprocess.Popen, dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
        env.update(_env())
        env.update(KASSA_PORT=str(_free_port()))  # KASSA_HOST stays the image's 0.0.0.0
        env["KASSA_DATABASE_URL"] = env["KASSA_DATABASE_URL"].replace("////data/", f"///{tmp_path}/")
        env.update(extra)
        process = subprocess.Popen(
            _command(json.loads(_one("CMD"))), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process, env

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


def _healthy(process: subprocess.Popen, env: dict[str, str]) -> None:
    """Run the image's HEALTHCHECK command until it passes, as Docker does during the start period."""
    check = _one("HEALTHCHECK")
    argv = json.loads(check.split(" CMD ", 1)[1])
    deadline = time.monotonic() + 60
    while subprocess.run(_command(argv), env=env, capture_output=True, timeout=30).returncode != 0:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        assert time.monotonic() < deadline, "the healthcheck never passed"
        time.sleep(0.2)


def _infobases(env: dict[str, str]) -> str:
    listing = subprocess.run(
        [sys.executable, "-m", "kassa_server", "infobase", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    return listing.stdout


def test_the_image_command_serves_healthy_and_seeds_the_demo_only_when_asked(container: object) -> None:
    start = container
    process, env = start()  # type: ignore[operator]
    _healthy(process, env)
    assert _infobases(env) == ""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    process, env = start(KASSA_DEMO="1", KASSA_PUBLIC_URL="https://kassa.example.com/{base}")  # type: ignore[operator]
    _healthy(process, env)
    assert _infobases(env).startswith("kassa\t") and "\thttps://kassa.example.com/kassa\t" in _infobases(env)
