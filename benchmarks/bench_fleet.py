"""A fleet of simulated devices syncing back to back, beside a bare starlette endpoint driven the same way.

Usage: python benchmarks/bench_fleet.py [--devices 100] [--duration 60] [--service ede|exchange|both]
       [--receipts 3] [--search-max 128] [--search-duration 20] [--no-search] [--floor-duration 15]
       [--goods 0] [--workers 1] [--database-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres]
       [--profile FILE]

1. Seeds a fresh database with the demo shop (54 goods, orders for the demo register) plus ``--goods`` extra goods,
   and registers a pool of devices (max of ``--devices`` and ``--search-max``); starts the server as its own
   process (``python -m kassa_server serve``) on 127.0.0.1.
2. Floor: the server's own WSDL and ``Ping`` answer are captured, then served by a bare starlette app under uvicorn
   (a separate process too); ``--devices`` threads call ``Ping`` on it back to back through the simulator's SOAP
   client (zeep + requests, one session per device, the WSDL parsed once): requests/s of the transport floor.
   The same load on the real server's ``Ping`` shows what the full stack costs per call (infobase look-up, auth,
   spyne, the call journal) before any exchange work.
3. Warm-up (untimed): every device of the pool makes its first sync (the whole catalogue).
4. The run: ``--devices`` devices of the simulator's ``Fleet`` each trade (open a shift, ``--receipts`` sales, now
   and then a return or an order's payment, a shift close every 5 cycles) and sync, back to back, for
   ``--duration`` seconds. Reported: cycles/s, SOAP calls/s (beside the floor's requests/s), cycle latency
   p50/p95, errors (must be 0), CPU seconds of the server and of the client process.
5. Search: the largest N whose p95 cycle latency stays under 500 ms (N doubles from 4, then bisects), each probe
   ``--search-duration`` seconds.

Devices keep their state files between runs, so a probe continues where the previous run left the device.
The client (zeep, a thread per device) shares the machine with the server: on a 2-core machine the figures are the
pair's, not the server's alone — the CPU seconds of both are printed to show the split.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import _support as s
import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from kassa_server.simulator import CallRecorder, DeviceConfig, Fleet, FleetSummary, Percentiles
from kassa_server.simulator.soap import SoapService

P95_LIMIT = 0.5


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the transport floor -----------------------------------------------------------------------------------------


def capture_ping(base_url: str) -> tuple[bytes, bytes]:
    """The server's EDE WSDL and its ``Ping`` answer, byte for byte."""
    session = requests.Session()
    session.auth = (s.LOGIN.encode("utf-8"), s.PASSWORD.encode("utf-8"))
    url = f"{base_url}/{s.BASE}/ws/{s.EDE}"
    wsdl = session.get(url + "?wsdl", timeout=30)
    wsdl.raise_for_status()
    history = HistoryPlugin()
    client = zeep.Client(url + "?wsdl", transport=Transport(session=session), plugins=[history])
    client.bind(s.EDE, f"{s.EDE}Soap").Ping()
    answer = etree.tostring(history.last_received["envelope"], xml_declaration=True, encoding="UTF-8")
    return wsdl.content, answer


@dataclass
class FloorResult:
    requests: int
    elapsed: float
    latency: Percentiles
    errors: int
    server_cpu: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed


def run_floor(base_url: str, devices: int, duration: float, factory_numbers: list[str]) -> FloorResult:
    recorder = CallRecorder()
    stop = threading.Event()
    errors = [0]
    lock = threading.Lock()
    services = [SoapService(s.connection(base_url, number), s.EDE, recorder) for number in factory_numbers[:devices]]
    services[0].call("Ping")  # parse the WSDL once, outside the clock
    recorder.operations.clear()
    recorder.calls = 0

    def drive(service: SoapService) -> None:
        while not stop.is_set():
            try:
                service.call("Ping")
            except Exception:
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=drive, args=(service,), daemon=True) for service in services]
    cpu0 = client_cpu()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(duration)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = client_cpu() - cpu0
    for service in services:
        service.close()
    samples = recorder.operations.get(f"{s.EDE}.Ping", [])
    return FloorResult(len(samples), elapsed, Percentiles.of(samples), errors[0], 0.0, cpu)


# --- the fleet ----------------------------------------------------------------------------------------------------


@dataclass
class FleetResult:
    summary: FleetSummary
    server_cpu: float
    client_cpu: float

    @property
    def p95(self) -> float:
        return self.summary.latencies["cycle"].p95 if "cycle" in self.summary.latencies else float("inf")

    @property
    def errors(self) -> int:
        return sum(self.summary.errors.values()) + self.summary.failed_cycles


def configs(base_url: str, shop: s.Shop, n: int, service: str, receipts: int, state_dir: Path) -> list[DeviceConfig]:
    chosen = []
    for index, number in enumerate(shop.factory_numbers[:n]):
        kind = service if service != "both" else ("ede", "exchange")[index % 2]
        chosen.append(
            DeviceConfig(
                params=s.connection(base_url, number),
                service=kind,
                state_path=state_dir / f"{number}.json",
                receipts_per_cycle=receipts,
                poll_interval=0.05,
                timeout=120,
            )
        )
    return chosen


def run_fleet(
    server: s.ServerProcess, chosen: list[DeviceConfig], *, duration: float | None, cycles: int | None, label: str
) -> FleetResult:
    fleet = Fleet(chosen, duration=duration, cycles=cycles, interval=0.0, final_sync=False)
    cpu_server, cpu_client = server.cpu_seconds(), client_cpu()
    last = [time.perf_counter()]

    def progress(p: object) -> None:
        if time.perf_counter() - last[0] >= 10:
            last[0] = time.perf_counter()
            print(f"  {label}: {p.format()}", flush=True)  # type: ignore[attr-defined]

    summary = fleet.run(on_progress=progress, progress_every=1.0)
    return FleetResult(summary, server.cpu_seconds() - cpu_server, client_cpu() - cpu_client)


def describe(n: int, result: FleetResult) -> str:
    summary = result.summary
    cycle = summary.latencies.get("cycle", Percentiles.of([]))
    calls = summary.soap_calls / summary.elapsed
    return (
        f"N={n:4d}  {summary.cycles_per_second:6.1f} cycles/s  {calls:7.1f} calls/s  "
        f"cycle p50 {cycle.p50 * 1000:7.0f} ms  p95 {cycle.p95 * 1000:7.0f} ms  errors {result.errors}  "
        f"receipts {summary.receipts_sent}  CPU s: server {result.server_cpu:.1f}, client {result.client_cpu:.1f} "
        f"in {summary.elapsed:.0f} s ({result.server_cpu / max(summary.cycles, 1) * 1000:.1f} ms server CPU per cycle)"
    )


def search(server: s.ServerProcess, build: object, limit: int, duration: float) -> tuple[int, list[str]]:
    """The largest N ≤ limit whose p95 cycle latency is under 500 ms: N doubles from 4, then bisects."""
    lines: list[str] = []
    tried: dict[int, float] = {}

    def probe(n: int) -> bool:
        result = run_fleet(server, build(n), duration=duration, cycles=None, label=f"search N={n}")  # type: ignore[operator]
        lines.append(describe(n, result))
        print("  " + lines[-1], flush=True)
        tried[n] = result.p95
        return result.p95 < P95_LIMIT and result.errors == 0

    good, bad, n = 0, None, 4
    while n <= limit:
        if probe(n):
            good, n = n, n * 2
        else:
            bad = n
            break
    if bad is None:
        return good, lines
    for _ in range(4):
        if bad - good <= max(1, good // 8):
            break
        middle = (good + bad) // 2
        if probe(middle):
            good = middle
        else:
            bad = middle
    return good, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--service", choices=["ede", "exchange", "both"], default="ede")
    parser.add_argument("--receipts", type=int, default=3, help="sales per cycle")
    parser.add_argument("--search-max", type=int, default=128)
    parser.add_argument("--search-duration", type=float, default=20.0)
    parser.add_argument("--no-search", action="store_true")
    parser.add_argument("--floor-duration", type=float, default=15.0)
    parser.add_argument("--goods", type=int, default=0, help="extra goods beside the demo shop's 54")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL cluster URL; default: a SQLite file")
    parser.add_argument("--profile", type=Path, default=None, help="run the server under py-spy into FILE (raw)")
    parser.add_argument("--ping-only", action="store_true", help="stop after the Ping / floor measurement")
    options = parser.parse_args()
    pool = max(options.devices, 0 if options.no_search else options.search_max)
    print(s.machine())
    print("command: python " + " ".join(sys.argv))
    errors = 0
    with s.tempdir() as tmp_name:
        tmp = Path(tmp_name)
        state_dir = tmp / "devices"
        state_dir.mkdir()
        with s.fresh_database(options.database_url, tmp) as url:
            shop = s.seed_shop(url, goods=options.goods, devices=pool, demo=True)
            print(f"database: {url.split('@')[-1]}; demo shop + {options.goods} goods, {pool} devices registered")
            with s.ServerProcess(url, tmp, workers=options.workers, profile=options.profile) as server:
                wsdl, answer = capture_ping(server.base_url)
                floor_server = s.FloorServer(wsdl, answer, tmp)
                try:
                    floor_cpu0 = floor_server.cpu_seconds()
                    floor = run_floor(floor_server.base_url, options.devices, options.floor_duration,
                                      shop.factory_numbers)  # fmt: skip
                    floor.server_cpu = floor_server.cpu_seconds() - floor_cpu0
                finally:
                    floor_server.stop()
                cpu0 = server.cpu_seconds()
                pings = run_floor(server.base_url, options.devices, options.floor_duration, shop.factory_numbers)
                pings.server_cpu = server.cpu_seconds() - cpu0
                for label, result in (("floor: bare starlette", floor), ("kassa-server", pings)):
                    print(
                        f"{label} Ping, {options.devices} threads: {result.rate:.0f} requests/s, "
                        f"p95 {result.latency.p95 * 1000:.0f} ms, errors {result.errors}; CPU s: server "
                        f"{result.server_cpu:.1f}, client {result.client_cpu:.1f} in {result.elapsed:.0f} s "
                        f"({result.server_cpu / max(result.requests, 1) * 1000:.2f} ms server CPU per request)",
                        flush=True,
                    )
                per_ping = pings.server_cpu / max(pings.requests, 1)
                per_floor = floor.server_cpu / max(floor.requests, 1)
                print(f"kassa-server Ping / floor, server CPU per request: {per_ping / max(per_floor, 1e-9):.1f}x")
                errors += floor.errors + pings.errors
                if options.ping_only:
                    return 1 if errors else 0

                def build(n: int) -> list[DeviceConfig]:
                    return configs(server.base_url, shop, n, options.service, options.receipts, state_dir)

                warm = run_fleet(server, build(pool), duration=None, cycles=1, label="warm-up")
                print(f"warm-up (first syncs, untimed): {describe(pool, warm)}", flush=True)
                print(f"server RSS after the warm-up: {server.rss_mb():.0f} MB, peak {server.peak_rss_mb():.0f} MB")
                errors += warm.errors
                main_run = run_fleet(server, build(options.devices), duration=options.duration, cycles=None,
                                     label=f"N={options.devices}")  # fmt: skip
                errors += main_run.errors
                print(
                    f"server RSS after N={options.devices}: {server.rss_mb():.0f} MB, "
                    f"peak {server.peak_rss_mb():.0f} MB"
                )
                largest, lines = (
                    (0, []) if options.no_search else search(server, build, options.search_max, options.search_duration)
                )
                peak = server.peak_rss_mb()
    summary = main_run.summary
    calls_per_cycle = summary.soap_calls / max(summary.cycles, 1)
    print()
    print(f"service {options.service}, {options.receipts} sales per cycle, {calls_per_cycle:.1f} SOAP calls per cycle")
    print(describe(options.devices, main_run))
    print(summary.format())
    print(
        f"calls/s vs floor requests/s: {summary.soap_calls / summary.elapsed:.0f} / {floor.rate:.0f} = "
        f"{summary.soap_calls / summary.elapsed / floor.rate:.2f}; the floor's rate is "
        f"{floor.rate / calls_per_cycle:.0f} cycles/s at {calls_per_cycle:.1f} calls per cycle"
    )
    print(f"goal: >= 35 cycles/s (10,000 devices every 5 min): {summary.cycles_per_second:.1f}")
    if not options.no_search:
        print(f"search probes ({options.search_duration:.0f} s each):")
        for line in lines:
            print("  " + line)
        print(f"largest N with p95 cycle latency < 500 ms: {largest}")
    print(f"server peak RSS over the whole run: {peak:.0f} MB")
    print(f"errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
