"""An open-loop fleet: N distinct devices, each syncing on its own fixed schedule, so the arrival rate is fixed.

Usage: python benchmarks/bench_open_loop.py [--devices 200] [--rates 5,10,20] [--duration 60] [--search]
       [--engine template|zeep] [--client-processes 2] [--workers CORES] [--rss-every 60]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:55432/postgres] [--profile FILE]

1. Seeds a fresh database with the demo shop, registers ``--devices`` devices, starts the server as its own process
   (``python -m kassa_server serve --workers W``, W = the machine's cores by default).
2. Warm-up (untimed): every device makes its first sync, back to back.
3. For each rate R (cycles/s): every device syncs every N/R seconds, device i first at i/R s (the 5-minute interval
   of the vendor's instruction, scaled down: R = 35 with N = 1 000 is 10 000 devices every 5 minutes). A cycle that
   overruns its slot delays only that device's next cycle, which then starts at once; its latency is counted from
   when it was due (``cycle from schedule``), so a server that falls behind shows it. The devices run in
   ``--client-processes`` processes of the simulator's ``Fleet`` (template engine by default).
   Reported per rate: cycles/s achieved, p50/p95 of the cycle and of the cycle from schedule, errors, server CPU
   per cycle, client CPU per cycle, the load average. The server's RSS is printed every ``--rss-every`` seconds.
4. ``--search``: rates grow ×1.5 from the first of ``--rates`` while p95 (from schedule) < 1 s and no errors, then
   bisect twice: the largest rate that keeps p95 under 1 s.

A soak is one long rate: ``--rates 10 --duration 600 --rss-every 60``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import _support as s

from kassa_server.simulator import DeviceConfig, Fleet, FleetSummary, Percentiles

P95_LIMIT = 1.0


def configs(base_url: str, numbers: list[str], engine: str, receipts: int, state_dir: Path) -> list[DeviceConfig]:
    return [
        DeviceConfig(
            params=s.connection(base_url, number),
            service="ede",
            engine=engine,
            state_path=state_dir / f"{number}.json",
            receipts_per_cycle=receipts,
            poll_interval=0.05,
            timeout=120,
        )
        for number in numbers
    ]


class RssPrinter:
    def __init__(self, server: s.ServerProcess, every: float) -> None:
        self.server = server
        self.every = every
        self.stop = threading.Event()
        self.started = time.perf_counter()
        self.samples: list[tuple[float, float]] = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        if every > 0:
            self.thread.start()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            rss = [p.memory_info().rss / 2**20 for p in self.server._processes()]
            elapsed = time.perf_counter() - self.started
            self.samples.append((elapsed, max(rss, default=0.0)))
            print(
                f"  [{elapsed:6.0f} s] server RSS per process: {', '.join(f'{r:.0f}' for r in rss)} MB; "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()


def run_rate(
    server: s.ServerProcess, chosen: list[DeviceConfig], rate: float, duration: float, processes: int
) -> tuple[FleetSummary, float, float, float]:
    interval = len(chosen) / rate
    fleet = Fleet(chosen, duration=duration, interval=interval, open_loop=True, processes=processes, final_sync=False)
    server_cpu0 = server.cpu_seconds()
    load0 = os.getloadavg()[0]
    summary = fleet.run()
    load = (load0 + os.getloadavg()[0]) / 2
    return summary, server.cpu_seconds() - server_cpu0, summary.client_cpu, load


def describe(rate: float, summary: FleetSummary, server_cpu: float, client_cpu: float, load: float) -> str:
    empty = Percentiles.of([])
    cycle = summary.latencies.get("cycle", empty)
    late = summary.latencies.get("cycle from schedule", empty)
    errors = sum(summary.errors.values()) + summary.failed_cycles
    per = max(summary.cycles, 1)
    return (
        f"rate {rate:6.1f}/s: {summary.cycles_per_second:6.1f} cycles/s done; cycle p50 {cycle.p50 * 1000:6.0f} "
        f"p95 {cycle.p95 * 1000:6.0f} ms; from schedule p50 {late.p50 * 1000:6.0f} p95 {late.p95 * 1000:6.0f} ms; "
        f"errors {errors}; CPU per cycle: server {server_cpu / per * 1000:.1f} ms, client {client_cpu / per * 1000:.1f}"
        f" ms; load {load:.1f}"
    )


def ok(summary: FleetSummary) -> bool:
    late = summary.latencies.get("cycle from schedule", Percentiles.of([]))
    return late.count > 0 and late.p95 < P95_LIMIT and not summary.errors and not summary.failed_cycles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rates", default="5,10,20", help="cycles/s, comma-separated")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    parser.add_argument("--search", action="store_true", help="find the largest rate with p95 < 1 s")
    parser.add_argument("--engine", choices=["template", "zeep"], default="template")
    parser.add_argument("--compare-engines", action="store_true", help="first: client CPU of zeep vs template")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server worker processes")
    parser.add_argument("--receipts", type=int, default=3, help="sales per cycle")
    parser.add_argument("--rss-every", type=float, default=60.0, help="print the server's RSS this often (0: never)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL cluster URL; default: a SQLite file")
    parser.add_argument("--profile", type=Path, default=None, help="run the server under py-spy into FILE (raw)")
    options = parser.parse_args()
    rates = [float(rate) for rate in options.rates.split(",")]
    print(s.machine())
    print("command: python " + " ".join(sys.argv))
    results: list[tuple[float, str, bool]] = []
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # the devices' state files, saved 5 times a cycle
    with s.tempdir() as tmp_name, tempfile.TemporaryDirectory(prefix="kassa-bench-devices-", dir=shm) as states:
        tmp = Path(tmp_name)
        state_dir = Path(states)
        with s.fresh_database(options.database_url, tmp) as url:
            shop = s.seed_shop(url, goods=0, devices=options.devices, demo=True)
            backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            print(f"database: {backend}; demo shop, {options.devices} devices; server workers {options.workers}")
            env = {"KASSA_LIMITS_MAX_CONNECTIONS": str(max(1000, 2 * options.devices))}
            with s.ServerProcess(url, tmp, workers=options.workers, profile=options.profile, env=env) as server:
                chosen = configs(server.base_url, shop.factory_numbers, options.engine, options.receipts, state_dir)
                started = time.perf_counter()
                warm = Fleet(chosen, cycles=1, interval=0, final_sync=False, processes=options.client_processes)
                summary = warm.run()
                print(
                    f"warm-up (first syncs, untimed): {summary.cycles} cycles in {time.perf_counter() - started:.0f}"
                    f" s, errors {sum(summary.errors.values())}; server RSS {server.rss_mb():.0f} MB",
                    flush=True,
                )
                rss = RssPrinter(server, options.rss_every)
                try:

                    def probe(rate: float) -> bool:
                        summary, server_cpu, client_cpu, load = run_rate(
                            server, chosen, rate, options.duration, options.client_processes
                        )
                        if summary.interrupted:
                            raise KeyboardInterrupt
                        line = describe(rate, summary, server_cpu, client_cpu, load)
                        good = ok(summary)
                        results.append((rate, line, good))
                        print("  " + line + ("" if good else "   <- p95 >= 1 s or errors"), flush=True)
                        if summary.errors:
                            print("    " + "\n    ".join(summary.format().splitlines()[5:12]), flush=True)
                        return good

                    if options.compare_engines:  # the simulator's client CPU per cycle, zeep vs template
                        per_engine = {}
                        for engine in ("zeep", "template"):
                            others = configs(server.base_url, shop.factory_numbers, engine, options.receipts, state_dir)
                            summary, server_cpu, client_cpu, load = run_rate(
                                server, others, rates[0], options.duration, options.client_processes
                            )
                            per_engine[engine] = client_cpu / max(summary.cycles, 1)
                            print(f"  engine {engine}: " + describe(rates[0], summary, server_cpu, client_cpu, load))
                        zeep_ms, template_ms = per_engine["zeep"] * 1000, per_engine["template"] * 1000
                        print(
                            f"client CPU per cycle, zeep / template: {zeep_ms:.1f} / {template_ms:.1f} ms = "
                            f"{zeep_ms / template_ms:.2f}x",
                            flush=True,
                        )
                    if options.search:
                        good, bad, rate = 0.0, None, rates[0]
                        while probe(rate):
                            good, rate = rate, rate * 1.5
                        bad = rate
                        for _ in range(2):
                            middle = (good + bad) / 2
                            if probe(middle):
                                good = middle
                            else:
                                bad = middle
                        print(f"largest rate with p95 (from schedule) < 1 s and 0 errors: {good:.1f} cycles/s")
                    else:
                        for rate in rates:
                            probe(rate)
                finally:
                    rss.close()
                print(f"server RSS at the end: {server.rss_mb():.0f} MB (sum of processes), peak "
                      f"{server.peak_rss_mb():.0f} MB (largest process)")  # fmt: skip
    print()
    print(f"{options.devices} devices, {backend}, server workers {options.workers}, engine {options.engine}, "
          f"{options.client_processes} client processes, {options.duration:.0f} s per rate")  # fmt: skip
    for _, line, good in results:
        print(("  ok  " if good else "  --  ") + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
