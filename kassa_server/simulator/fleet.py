"""Many devices in one process (a thread each; zeep is synchronous), their registration, and the run summary."""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import multiprocessing.queues
import queue
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .device import Device, DeviceConfig
from .soap import CallRecorder, SimulatorError, describe

__all__ = [
    "DEFAULT_REGISTER_COMMAND",
    "Fleet",
    "FleetProgress",
    "FleetSummary",
    "Percentiles",
    "register_devices",
]

logger = logging.getLogger(__name__)

DEFAULT_REGISTER_COMMAND = "kassa-server device add --infobase {base} --factory-number {factory_number} --name {name}"


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float
    p95: float
    p99: float
    maximum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Percentiles:
        ordered = sorted(samples)

        def rank(q: float) -> float:  # nearest-rank percentile
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0

        return cls(len(ordered), rank(0.50), rank(0.95), rank(0.99), ordered[-1] if ordered else 0.0)


@dataclass
class FleetSummary:
    devices: int
    elapsed: float
    cycles: int
    failed_cycles: int
    soap_calls: int
    errors: dict[str, int]  # "<what went wrong, in words> in <operation>" → count
    latencies: dict[str, Percentiles]  # per SOAP operation, plus "cycle"
    receipts_sent: int
    receipts_confirmed: int
    documents_unconfirmed: int
    interrupted: bool = False
    versions: dict[str, int] = field(default_factory=dict)
    client_cpu: float = 0.0
    """CPU seconds of the fleet's own process(es) during `run` (with `processes` > 1: the sum over them)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def cycles_per_second(self) -> float:
        return self.cycles / self.elapsed if self.elapsed > 0 else 0.0

    def format(self) -> str:
        lines = [
            f"devices: {self.devices}   elapsed: {self.elapsed:.1f} s"
            + ("   (interrupted)" if self.interrupted else ""),
            f"cycles: {self.cycles} ok, {self.failed_cycles} failed ({self.cycles_per_second:.2f}/s)",
            f"SOAP calls: {self.soap_calls}",
            f"receipts: {self.receipts_sent} sent, {self.receipts_confirmed} confirmed; "
            f"{self.documents_unconfirmed} documents awaiting acknowledgement",
        ]
        if self.versions:
            lines.append("format versions: " + ", ".join(f"{v} × {n}" for v, n in sorted(self.versions.items())))
        lines.append("errors: " + ("none" if not self.errors else ""))
        for kind, count in sorted(self.errors.items(), key=lambda pair: (-pair[1], pair[0])):
            lines.append(f"  {count:6d}  {kind}")
        lines.append(f"{'latency, ms':44s} {'n':>7s} {'p50':>9s} {'p95':>9s} {'p99':>9s} {'max':>9s}")
        names = sorted(self.latencies, key=lambda name: (name == "cycle", name))
        for name in names:
            p = self.latencies[name]
            lines.append(
                f"{name:44s} {p.count:7d} {p.p50 * 1000:9.1f} {p.p95 * 1000:9.1f} {p.p99 * 1000:9.1f} "
                f"{p.maximum * 1000:9.1f}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class FleetProgress:
    elapsed: float
    cycles: int
    failed_cycles: int
    soap_calls: int
    errors: int
    receipts_sent: int
    receipts_confirmed: int

    def format(self) -> str:
        rate = self.cycles / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"[{self.elapsed:7.1f} s] cycles {self.cycles} ({rate:.1f}/s), failed {self.failed_cycles}, "
            f"calls {self.soap_calls}, errors {self.errors}, receipts {self.receipts_sent} sent / "
            f"{self.receipts_confirmed} confirmed"
        )


def register_devices(configs: Sequence[DeviceConfig], command: str = DEFAULT_REGISTER_COMMAND) -> list[str]:
    """Register each device with the back office by running `command` (a template with {base}, {factory_number},
    {name}, {server}, {user}); 1С:Касса has no SOAP API for it. Returns one error text per failed device."""
    failures = []
    template = shlex.split(command)
    for config in configs:
        values = {
            "base": config.params.base,
            "factory_number": config.factory_number,
            "name": config.name or f"Мобильная касса {config.factory_number}",
            "server": config.params.server,
            "user": config.params.user,
        }
        argv = _resolve_program([token.format(**values) for token in template])
        try:
            completed = subprocess.run(argv, capture_output=True, text=True, check=False)
        except OSError as exc:
            failures.append(f"{config.factory_number}: cannot run {argv[0]!r}: {exc}")
            continue
        if completed.returncode != 0:
            text = (completed.stderr or completed.stdout).strip().splitlines()
            failures.append(f"{config.factory_number}: exit {completed.returncode}: {text[-1] if text else ''}")
    return failures


def _resolve_program(argv: list[str]) -> list[str]:
    """`kassa-server` outside PATH (e.g. a virtualenv that is not activated) runs as `python -m kassa_server` of this
    interpreter: still a separate process, never an import."""
    if argv and argv[0] == "kassa-server" and shutil.which("kassa-server") is None:
        sibling = Path(sys.executable).with_name("kassa-server")
        return [str(sibling), *argv[1:]] if sibling.exists() else [sys.executable, "-m", "kassa_server", *argv[1:]]
    return argv


class Fleet:
    """Run devices for `cycles` cycles each and/or for `duration` seconds, one sync every `interval` seconds.

    After the run each device whose last cycle succeeded makes one more sync, so the receipts of its last cycle get
    confirmed and the server's last message gets acknowledged (unless `final_sync` is off or the run was stopped).

    `open_loop`: each device keeps its own fixed schedule instead of waiting `interval` after each cycle: device i of
    N starts at i·interval/N and its k-th cycle is due at that start + k·interval, however long the cycles before took,
    so the fleet offers N/interval cycles a second whatever the server does. A cycle's latency is then also recorded
    from the moment it was due (``cycle from schedule``: a cycle that starts late because the one before overran
    counts its wait). `processes` > 1 spreads the devices over that many processes (each a fleet of its own, one
    thread per device); their summaries are merged."""

    def __init__(
        self,
        configs: Sequence[DeviceConfig],
        *,
        cycles: int | None = None,
        duration: float | None = None,
        interval: float = 300.0,
        stagger: float = 0.0,
        final_sync: bool = True,
        stop: threading.Event | None = None,
        recorder: CallRecorder | None = None,
        open_loop: bool = False,
        processes: int = 1,
        offsets: Sequence[float] | None = None,
    ) -> None:
        self.configs = list(configs)
        self.open_loop = open_loop
        self.processes = max(1, processes)
        self.offsets = list(offsets) if offsets is not None else None
        self.cycles = cycles
        self.duration = duration
        self.interval = interval
        self.stagger = stagger
        self.final_sync = final_sync
        self.stop = stop or threading.Event()
        self.recorder = recorder or CallRecorder()
        self.devices: list[Device] = []
        self._lock = threading.Lock()
        self._ok_cycles = 0
        self._failed_cycles = 0
        self._started = 0.0
        self._deadline: float | None = None

    def progress(self) -> FleetProgress:
        with self._lock:
            ok, failed = self._ok_cycles, self._failed_cycles
        return FleetProgress(
            elapsed=time.perf_counter() - self._started if self._started else 0.0,
            cycles=ok,
            failed_cycles=failed,
            soap_calls=self.recorder.calls,
            errors=sum(self.recorder.errors.values()),
            receipts_sent=sum(d.state.receipts_sent for d in self.devices),
            receipts_confirmed=sum(d.state.receipts_confirmed for d in self.devices),
        )

    def _finished(self, done: int) -> bool:
        if self.stop.is_set():
            return True
        if self.cycles is not None and done >= self.cycles:
            return True
        return self._deadline is not None and time.perf_counter() >= self._deadline

    def _drive(self, device: Device, delay: float) -> None:
        done = 0
        last_failed = False
        if self._deadline is not None and time.perf_counter() + delay >= self._deadline:
            return  # its first slot is past the end of the run
        if delay > 0 and self.stop.wait(delay):
            return
        first_due = time.perf_counter()
        while not self._finished(done):
            due = first_due + done * self.interval
            if self.open_loop and self._deadline is not None and due >= self._deadline:
                break  # the next slot is past the end of the run
            if self.open_loop and due > time.perf_counter() and self.stop.wait(due - time.perf_counter()):
                break
            if self.open_loop and self._finished(done):
                break
            try:
                device.run_cycle()
                if self.open_loop:
                    self.recorder.record_latency("cycle from schedule", time.perf_counter() - due)
                last_failed = False
                with self._lock:
                    self._ok_cycles += 1
            except SimulatorError as error:
                last_failed = True
                logger.warning("%s: %s", device.config.factory_number, error)
                with self._lock:
                    self._failed_cycles += 1
            done += 1
            if self._finished(done):
                break
            if not self.open_loop:
                self.stop.wait(self.interval)
        if self.final_sync and done and not last_failed and not self.stop.is_set():
            try:
                device.sync()
            except SimulatorError as error:
                self.recorder.record_error(error.kind, error.operation)
                logger.warning("%s: final sync: %s", device.config.factory_number, error)
            except Exception as exc:
                logger.exception("%s: final sync failed", device.config.factory_number)
                self.recorder.record_error("client", type(exc).__name__)

    def _prepare(self) -> None:
        """Read (and for the template engine, compile and check) each service's WSDL once before the clock starts,
        so the run's latencies and CPU are the cycles' own. A failure here is left for the cycles to report."""
        seen = set()
        for device in self.devices:
            key = (device.config.params.base_url, device.config.service, device.config.engine)
            if key in seen:
                continue
            seen.add(key)
            recorder = CallRecorder()  # the WSDL's timing is not a call of the run
            soap = getattr(device.flow, "soap", None)
            if soap is None:
                continue
            try:
                saved, soap.recorder = soap.recorder, recorder
                try:
                    operations = getattr(soap, "operations", None)
                    if operations is None:
                        soap._document()
                finally:
                    soap.recorder = saved
            except SimulatorError:
                pass

    def run(
        self, on_progress: Callable[[FleetProgress], None] | None = None, progress_every: float = 1.0
    ) -> FleetSummary:
        """Run until done or until `stop` is set (Ctrl-C: the caller sets it); always returns the summary."""
        if self.processes > 1:
            return self._run_processes(on_progress, progress_every)
        self.devices = [Device(config, self.recorder, self.stop) for config in self.configs]
        self._prepare()
        cpu_started = time.process_time()
        self._started = time.perf_counter()
        self._deadline = self._started + self.duration if self.duration is not None else None
        spread = random.Random(0)
        if self.offsets is not None:
            delays = self.offsets
        elif self.open_loop:
            delays = [n * self.interval / len(self.devices) for n in range(len(self.devices))]
        else:
            delays = [spread.uniform(0, self.stagger) if self.stagger > 0 else 0.0 for _ in self.devices]
        threads = [
            threading.Thread(
                target=self._drive,
                args=(device, delay),
                name=f"device-{device.config.factory_number}",
                daemon=True,
            )
            for device, delay in zip(self.devices, delays, strict=True)
        ]
        for thread in threads:
            thread.start()
        interrupted = False
        try:
            while True:
                alive = [thread for thread in threads if thread.is_alive()]
                if not alive:
                    break
                alive[0].join(timeout=progress_every)
                if on_progress is not None and any(thread.is_alive() for thread in threads):
                    on_progress(self.progress())  # the last line comes once, after the loop
        except KeyboardInterrupt:
            interrupted = True
            self.stop.set()
            for thread in threads:
                thread.join()
        if on_progress is not None:
            on_progress(self.progress())
        interrupted = interrupted or self.stop.is_set()
        elapsed = time.perf_counter() - self._started
        for device in self.devices:
            device.save()
            device.close()
        summary = self.summary(elapsed, interrupted)
        summary.client_cpu = time.process_time() - cpu_started
        return summary

    def summary(self, elapsed: float, interrupted: bool = False) -> FleetSummary:
        versions: dict[str, int] = {}
        for device in self.devices:
            if device.state.version:
                versions[device.state.version] = versions.get(device.state.version, 0) + 1
        with self._lock:
            ok, failed = self._ok_cycles, self._failed_cycles
        return FleetSummary(
            devices=len(self.devices),
            elapsed=elapsed,
            cycles=ok,
            failed_cycles=failed,
            soap_calls=self.recorder.calls,
            errors={
                f"{describe(kind)} in {operation}": count for (kind, operation), count in self.recorder.errors.items()
            },
            latencies={name: Percentiles.of(samples) for name, samples in self.recorder.operations.items()},
            receipts_sent=sum(d.state.receipts_sent for d in self.devices),
            receipts_confirmed=sum(d.state.receipts_confirmed for d in self.devices),
            documents_unconfirmed=sum(len(d.state.outbox) for d in self.devices),
            interrupted=interrupted,
            versions=versions,
        )

    # -- several processes ------------------------------------------------------------------------------------------

    def _options(self) -> dict[str, object]:
        return {
            "cycles": self.cycles,
            "duration": self.duration,
            "interval": self.interval,
            "stagger": self.stagger,
            "final_sync": self.final_sync,
            "open_loop": self.open_loop,
        }

    def _run_processes(
        self, on_progress: Callable[[FleetProgress], None] | None, progress_every: float
    ) -> FleetSummary:
        """Device i goes to process i mod P; each process runs a fleet of its own and reports its totals (progress
        every `progress_every` seconds, then its summary) through a queue; `stop` reaches them as a shared event."""
        count = len(self.configs)
        if self.offsets is not None:
            offsets = self.offsets
        elif self.open_loop:
            offsets = [n * self.interval / count for n in range(count)] if count else []
        else:
            spread = random.Random(0)
            offsets = [spread.uniform(0, self.stagger) if self.stagger > 0 else 0.0 for _ in range(count)]
        context = multiprocessing.get_context("spawn")
        stop = context.Event()
        reports = context.Queue()
        workers = []
        for index in range(min(self.processes, max(count, 1))):
            part = self.configs[index :: self.processes]
            part_offsets = offsets[index :: self.processes]
            worker = context.Process(
                target=_fleet_process,
                args=(index, part, part_offsets, self._options(), stop, reports, progress_every),
                name=f"fleet-{index}",
                daemon=True,
            )
            worker.start()
            workers.append(worker)
        self._started = time.perf_counter()
        latest: dict[int, dict[str, int]] = {}
        finals: dict[int, dict[str, object]] = {}
        interrupted = False
        try:
            while len(finals) < len(workers):
                if self.stop.is_set():
                    stop.set()
                try:
                    index, kind, payload = reports.get(timeout=progress_every)
                except queue.Empty:
                    if not any(worker.is_alive() for worker in workers) and reports.empty():
                        break  # a process died without its summary
                    continue
                if kind == "final":
                    finals[index] = payload
                else:
                    latest[index] = payload
                if on_progress is not None:
                    on_progress(self._merged_progress(latest, finals))
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            while len(finals) < len(workers) and any(worker.is_alive() for worker in workers):
                with contextlib.suppress(queue.Empty):
                    index, kind, payload = reports.get(timeout=1)
                    if kind == "final":
                        finals[index] = payload
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
                worker.join()
        elapsed = time.perf_counter() - self._started
        lost = len(workers) - len(finals)
        return _merge(finals.values(), elapsed, interrupted or self.stop.is_set() or stop.is_set(), lost)

    def _merged_progress(
        self, latest: dict[int, dict[str, int]], finals: dict[int, dict[str, object]]
    ) -> FleetProgress:
        totals = {"cycles": 0, "failed_cycles": 0, "soap_calls": 0, "errors": 0, "sent": 0, "confirmed": 0}
        for index, numbers in latest.items():
            if index not in finals:
                for key in totals:
                    totals[key] += numbers[key]
        for final in finals.values():
            for key in totals:
                totals[key] += int(final["progress"][key])  # type: ignore[index]
        return FleetProgress(
            elapsed=time.perf_counter() - self._started,
            cycles=totals["cycles"],
            failed_cycles=totals["failed_cycles"],
            soap_calls=totals["soap_calls"],
            errors=totals["errors"],
            receipts_sent=totals["sent"],
            receipts_confirmed=totals["confirmed"],
        )


def _progress_numbers(progress: FleetProgress) -> dict[str, int]:
    return {
        "cycles": progress.cycles,
        "failed_cycles": progress.failed_cycles,
        "soap_calls": progress.soap_calls,
        "errors": progress.errors,
        "sent": progress.receipts_sent,
        "confirmed": progress.receipts_confirmed,
    }


def _fleet_process(
    index: int,
    configs: list[DeviceConfig],
    offsets: list[float],
    options: dict[str, object],
    stop: threading.Event,
    reports: multiprocessing.queues.Queue[Any],
    progress_every: float,
) -> None:
    """One process of a multi-process fleet: Ctrl-C is the parent's to handle (it sets `stop`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fleet = Fleet(configs, stop=stop, offsets=offsets, **options)  # type: ignore[arg-type]
    summary = fleet.run(lambda progress: reports.put((index, "progress", _progress_numbers(progress))), progress_every)
    recorder = fleet.recorder
    reports.put(
        (
            index,
            "final",
            {
                "summary": summary,
                "operations": dict(recorder.operations),
                "errors": dict(recorder.errors),
                "calls": recorder.calls,
                "progress": _progress_numbers(fleet.progress()),
            },
        )
    )


def _merge(finals: object, elapsed: float, interrupted: bool, lost: int) -> FleetSummary:
    parts = list(finals)  # type: ignore[call-overload]
    operations: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    merged = FleetSummary(0, 0.0, 0, 0, 0, errors, {}, 0, 0, 0, interrupted, {})
    for part in parts:
        summary: FleetSummary = part["summary"]
        merged.elapsed = max(merged.elapsed, summary.elapsed)  # the processes' own run time, not their start-up
        merged.devices += summary.devices
        merged.cycles += summary.cycles
        merged.failed_cycles += summary.failed_cycles
        merged.soap_calls += summary.soap_calls
        merged.receipts_sent += summary.receipts_sent
        merged.receipts_confirmed += summary.receipts_confirmed
        merged.documents_unconfirmed += summary.documents_unconfirmed
        merged.client_cpu += summary.client_cpu
        for version, count in summary.versions.items():
            merged.versions[version] = merged.versions.get(version, 0) + count
        for kind, count in summary.errors.items():
            errors[kind] = errors.get(kind, 0) + count
        for name, samples in part["operations"].items():
            operations.setdefault(name, []).extend(samples)
    if not parts:
        merged.elapsed = elapsed
    if lost:
        errors["a fleet process died without its summary in the simulator"] = lost
    merged.latencies = {name: Percentiles.of(samples) for name, samples in operations.items()}
    return merged
