"""Many devices in one process (a thread each; zeep is synchronous), their registration, and the run summary."""

from __future__ import annotations

import logging
import math
import random
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    confirmed and the server's last message gets acknowledged (unless `final_sync` is off or the run was stopped)."""

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
    ) -> None:
        self.configs = list(configs)
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
        if delay > 0 and self.stop.wait(delay):
            return
        while not self._finished(done):
            try:
                device.run_cycle()
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

    def run(
        self, on_progress: Callable[[FleetProgress], None] | None = None, progress_every: float = 1.0
    ) -> FleetSummary:
        """Run until done or until `stop` is set (Ctrl-C: the caller sets it); always returns the summary."""
        self.devices = [Device(config, self.recorder, self.stop) for config in self.configs]
        self._started = time.perf_counter()
        self._deadline = self._started + self.duration if self.duration is not None else None
        spread = random.Random(0)
        threads = [
            threading.Thread(
                target=self._drive,
                args=(device, spread.uniform(0, self.stagger) if self.stagger > 0 else 0.0),
                name=f"device-{device.config.factory_number}",
                daemon=True,
            )
            for device in self.devices
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
        return self.summary(elapsed, interrupted)

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
