"""Fault and latency rules: what the SOAP edge injects into matching calls, so a client's error handling is tested.

A rule matches by infobase, service, operation and device (empty = any), fires always, N times (``times``) or with a
probability, and has a kind with parameters (``KINDS``). The transport applies it (kassa_server/transport/faults.py);
the exchange logic never knows. Rules live in the database, so the CLI, the API and fixtures share them.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.errors import ConfigError, NotFoundError
from kassa_server.models import FaultRule
from kassa_server.models.engine import affected_rows


@dataclass(frozen=True)
class Kind:
    description: str
    params: dict[str, str] = field(default_factory=dict)
    """Parameter name → what it means (all optional)."""
    operations: tuple[str, ...] = ()
    """The operations it applies to; empty: any."""


PART_OPERATIONS = ("GetDataPart", "GetFilePart")
STATUS_OPERATIONS = ("GetContinuousOperationStatus", "PrepareDataActionResult", "PutDataActionResult")

KINDS: dict[str, Kind] = {
    "delay": Kind("answer normally after a delay", {"delay_ms": "milliseconds to wait first (default 1000)"}),
    "soap_fault": Kind(
        "a SOAP Fault (HTTP 500) instead of running the operation",
        {"text": "faultstring (default 1C's generic «Ошибка при выполнении операции веб-сервиса.»)"},
    ),
    "http_status": Kind(
        "an HTTP error status with 1C's body instead of running the operation",
        {"status": "401, 404, 500 or 503 (default 503)", "body": "replaces the default body"},
    ),
    "disconnect": Kind("run the operation, then close the connection halfway through the response"),
    "truncate_part": Kind("cut the part's data in half", operations=PART_OPERATIONS),
    "corrupt_part": Kind("flip bytes in the part's data (its length stays)", operations=PART_OPERATIONS),
    "bad_zip_checksum": Kind("change the CRC-32 of the ZIP's entries in the part", operations=PART_OPERATIONS),
    "operation_active": Kind(
        "a long operation's status poll answers Active (use times=N for N polls)", operations=STATUS_OPERATIONS
    ),
    "operation_failed": Kind(
        "a long operation's status poll answers Failed with an ErrorMessage",
        {"error_message": "the ErrorMessage (default 1C's «Ошибка при выгрузке данных через веб-сервис.»)"},
        operations=STATUS_OPERATIONS,
    ),
}
HTTP_STATUSES = (401, 404, 500, 503)


@dataclass(frozen=True)
class FaultInput:
    kind: str
    infobase: str = ""
    service: str = ""
    operation: str = ""
    device: str = ""
    times: int | None = None
    """Fire this many times, then never; None: always."""
    probability: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Injection:
    """A rule that fired for one call."""

    rule_id: int
    kind: str
    params: dict[str, Any]


def add_fault(session: Session, data: FaultInput) -> FaultRule:
    kind = KINDS.get(data.kind)
    if kind is None:
        raise ConfigError(f"fault kind {data.kind!r}: one of {', '.join(KINDS)}")
    unknown = set(data.params) - set(kind.params)
    if unknown:
        allowed = ", ".join(kind.params) or "none"
        raise ConfigError(f"fault {data.kind}: unknown parameter(s) {', '.join(sorted(unknown))}; allowed: {allowed}")
    if data.times is not None and data.times < 1:
        raise ConfigError("times: at least 1 (omit it to fire always)")
    if not 0.0 < data.probability <= 1.0:
        raise ConfigError("probability: above 0 and at most 1")
    if data.kind == "http_status" and int(data.params.get("status", 503)) not in HTTP_STATUSES:
        raise ConfigError(f"status: one of {', '.join(map(str, HTTP_STATUSES))}")
    if data.kind == "delay" and not 0 <= int(data.params.get("delay_ms", 1000)) <= 600_000:
        raise ConfigError("delay_ms: 0 to 600000")
    if kind.operations and data.operation and data.operation not in kind.operations:
        raise ConfigError(f"fault {data.kind} applies to {', '.join(kind.operations)}, not {data.operation}")
    rule = FaultRule(
        infobase=data.infobase,
        service=data.service,
        operation=data.operation,
        device=data.device,
        kind=data.kind,
        params=json.dumps(data.params, ensure_ascii=False),
        remaining=data.times,
        probability=data.probability,
        fired=0,
    )
    session.add(rule)
    session.flush()
    return rule


def list_faults(session: Session, infobase: str | None = None) -> list[FaultRule]:
    query = select(FaultRule).order_by(FaultRule.id)
    if infobase is not None:
        query = query.where(FaultRule.infobase == infobase)
    return list(session.scalars(query))


def get_fault(session: Session, rule_id: int) -> FaultRule:
    rule = session.get(FaultRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no fault rule {rule_id}")
    return rule


def delete_fault(session: Session, rule_id: int) -> None:
    session.delete(get_fault(session, rule_id))
    session.flush()


def clear_faults(session: Session, infobase: str | None = None) -> int:
    query = delete(FaultRule)
    if infobase is not None:
        query = query.where(FaultRule.infobase == infobase)
    return affected_rows(session.execute(query))


def rule_params(rule: FaultRule) -> dict[str, Any]:
    params: dict[str, Any] = json.loads(rule.params or "{}")
    return params


def take_fault(
    session: Session,
    *,
    infobase: str,
    service: str,
    operation: str,
    device: str,
    chance: Callable[[], float] = random.random,
) -> Injection | None:
    """The first live rule matching this call that fires (its count goes down), or None."""
    rules = session.scalars(
        select(FaultRule)
        .where(
            FaultRule.infobase.in_(("", infobase)),
            FaultRule.service.in_(("", service)),
            FaultRule.operation.in_(("", operation)),
            FaultRule.device.in_(("", device)),
            or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0),
        )
        .order_by(FaultRule.id)
    )
    for rule in rules:
        kind = KINDS.get(rule.kind)
        if kind is None or (kind.operations and operation not in kind.operations):
            continue
        if rule.probability < 1.0 and chance() >= rule.probability:
            continue
        spent = session.execute(
            update(FaultRule)
            .where(FaultRule.id == rule.id, or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0))
            .values(
                fired=FaultRule.fired + 1,
                remaining=FaultRule.remaining - 1,  # NULL stays NULL: a rule without a count fires always
            )
        )
        if affected_rows(spent) == 1:
            return Injection(rule.id, rule.kind, rule_params(rule))
    return None


class DatabaseFaults:
    """The transport's ``FaultSource``. While there are no rules it remembers so for ``ttl`` seconds and asks the
    database nothing (SOAP calls stay one write each); ``forget`` (called by the API after a change) asks again."""

    def __init__(
        self, sessions: sessionmaker[Session], *, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._none_until = 0.0

    def forget(self) -> None:
        self._none_until = 0.0

    def idle(self) -> bool:
        """True while it is remembered that there are no rules: ``take`` would answer None without the database."""
        return self.clock() < self._none_until

    def take(self, *, infobase: str, service: str, operation: str, device: str) -> Injection | None:
        now = self.clock()
        if now < self._none_until:
            return None
        with self.sessions.begin() as session:
            if session.scalar(select(FaultRule.id).limit(1)) is None:
                self._none_until = now + self.ttl
                return None
            return take_fault(session, infobase=infobase, service=service, operation=operation, device=device)
