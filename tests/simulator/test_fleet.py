from __future__ import annotations

import argparse
import ast
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import kassa_server.simulator as simulator_package
from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, Percentiles, register_devices
from kassa_server.simulator.cli import add_arguments, build_configs, run


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    password = [] if "--password" in argv else ["--password", "secret"]  # else it would be asked for
    return parser.parse_args([*argv, *password])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_percentiles_nearest_rank() -> None:
    p = Percentiles.of([float(n) for n in range(1, 101)])
    assert (p.count, p.p50, p.p95, p.p99, p.maximum) == (100, 50.0, 95.0, 99.0, 100.0)
    assert Percentiles.of([]).p99 == 0.0


def test_fleet_configs_from_manual_parameters(tmp_path: Path) -> None:
    args = _args(
        "--server",
        "h:1",
        "--base",
        "kassa",
        "--user",
        "u",
        "--password",
        "p",
        "--factory-number",
        "SIM",
        "--devices",
        "3",
        "--state-dir",
        str(tmp_path),
        "--service",
        "exchange",
        "--seed",
        "5",
    )
    configs = build_configs(args)
    assert [c.factory_number for c in configs] == ["SIM0001", "SIM0002", "SIM0003"]
    assert {c.service for c in configs} == {"exchange"}
    assert [c.seed for c in configs] == [5, 6, 7]
    assert configs[0].state_path == tmp_path / "h_1_kassa" / "SIM0001.json"


def test_single_device_from_qr_uses_its_factory_number() -> None:
    args = _args("--qr", "http://h:1/kassa;0000000001012345;0JrQsNGB0YHQuNGA;", "--no-state")
    (config,) = build_configs(args)
    assert config.factory_number == "0000000001012345" and config.params.user == "Кассир"
    assert config.state_path is None


def test_missing_connection_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(_args("--server", "h")) == 2
    assert "--base" in capsys.readouterr().err


def test_register_command_runs_once_per_device(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    script = f"import json,sys; open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')"
    command = (
        f"{sys.executable} -c {json.dumps(script)} "
        "--infobase {base} --factory-number {factory_number} --name {name}"
    )
    params = ConnectionParams("h:1", "kassa", False, "u", "p", "x")
    configs = [DeviceConfig(params.with_application_id(n), name=f"Касса {n}") for n in ("A1", "A2")]
    assert register_devices(configs, command) == []
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [
        ["--infobase", "kassa", "--factory-number", "A1", "--name", "Касса A1"],
        ["--infobase", "kassa", "--factory-number", "A2", "--name", "Касса A2"],
    ]


def test_failed_registration_is_reported() -> None:
    params = ConnectionParams("h:1", "kassa", False, "u", "p", "B1")
    failures = register_devices([DeviceConfig(params)], f"{sys.executable} -c 'import sys; sys.exit(\"exists\")'")
    assert failures == ["B1: exit 1: exists"]


def test_unreachable_server_counts_connection_errors_and_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    args = _args(
        "--server",
        f"127.0.0.1:{port}",
        "--base",
        "kassa",
        "--user",
        "u",
        "--password",
        "secret-pw",
        "--devices",
        "2",
        "--cycles",
        "2",
        "--interval",
        "0",
        "--no-state",
        "--timeout",
        "5",
    )
    assert run(args) == 1
    out, err = capsys.readouterr()
    assert "cycles: 0 ok, 4 failed" in out
    assert "cannot connect to the server in EnterpriseDataExchange_1_0_1_1.wsdl" in out
    assert "secret-pw" not in out + err
    assert "cycles" in err  # the progress line


def test_fleet_api_summary_for_an_unreachable_server() -> None:
    port = _closed_port()
    params = ConnectionParams(f"127.0.0.1:{port}", "kassa", False, "u", "p", "F1")
    summary = Fleet([DeviceConfig(params, service="exchange", timeout=5)], cycles=1, interval=0).run()
    assert not summary.ok and summary.failed_cycles == 1 and summary.cycles == 0
    assert summary.errors == {
        "cannot connect to the server in InterfaceVersion.wsdl": 1
    }  # no final sync after a failed cycle
    assert "cannot connect to the server in InterfaceVersion.wsdl" in summary.format()


def test_module_entry_point_prints_help() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kassa_server.simulator", "--help"], capture_output=True, text=True, check=True
    )
    assert "--devices" in completed.stdout and "--service" in completed.stdout


ALLOWED_THIRD_PARTY = {"httpx", "zeep", "lxml", "urllib3"}


def test_simulator_imports_only_stdlib_httpx_zeep_and_lxml() -> None:
    package_dir = Path(simulator_package.__file__).parent
    offenders = []
    for source in package_dir.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [] if node.level > 0 else [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
                    offenders.append(f"{source.name}: {name}")
    assert offenders == []


def test_ctrl_c_stops_cleanly_with_the_summary() -> None:
    port = _closed_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kassa_server.simulator",
            "--server",
            f"127.0.0.1:{port}",
            "--base",
            "kassa",
            "--user",
            "u",
            "--password",
            "p",
            "--no-state",
            "--interval",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    process.stderr.readline()  # the first progress line: the fleet is running and waiting for its next cycle
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert "(interrupted)" in out
    assert "cycles: 0 ok, 1 failed" in out
    assert process.returncode == 1  # the unreachable server is an error
