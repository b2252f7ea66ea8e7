"""Registering simulated «1С:Мобильная касса» devices in the server's own database (``kassa-server simulate
--register --database-url ...``). The simulator itself never imports the server: the CLI face calls this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.devices import DeviceInput, get_device, register_device
from kassa_server.admin.infobases import get_infobase
from kassa_server.errors import KassaError, NotFoundError


@dataclass(frozen=True)
class RegistrationResult:
    created: int
    existing: int
    failures: list[str]


def register_devices(
    sessions: sessionmaker[Session],
    infobase: str,
    devices: Sequence[tuple[str, str]],
    on_progress: Callable[[int, int], None] | None = None,
) -> RegistrationResult:
    """Register each ``(factory_number, name)`` in ``infobase`` (one transaction per device, so a failure loses no
    other); a device registered already is left as it is. ``on_progress(done, total)`` follows along."""
    with sessions() as session:
        get_infobase(session, infobase)  # a missing infobase is one error, not one per device
    created = existing = 0
    failures: list[str] = []
    for done, (factory_number, name) in enumerate(devices, start=1):
        try:
            with sessions.begin() as session:
                base = get_infobase(session, infobase)
                try:
                    get_device(session, base, factory_number)
                    existing += 1
                except NotFoundError:
                    register_device(session, base, DeviceInput(factory_number, name=name))
                    created += 1
        except KassaError as exc:
            failures.append(f"{factory_number}: {exc}")
        if on_progress is not None:
            on_progress(done, len(devices))
    return RegistrationResult(created, existing, failures)
