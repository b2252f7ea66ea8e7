"""The SOAP call journal in the database: one row per call, bodies cut to a size limit."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, Engine, Table, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.models.journal import SoapCall

logger = logging.getLogger(__name__)


OUTCOMES = ("ok", "soft_error", "fault", "rejected", "unauthorized", "not_found", "ping", "wsdl", "disconnected")
"""What a journaled call came to: a SOAP call ``ok``, ``soft_error`` (HTTP 200 with an error text) or ``fault``; a
request ``rejected`` (405, 413), ``unauthorized`` (401) or ``not_found`` (404); a ``ping`` or ``wsdl`` download; or
a client that went away (``disconnected``) while sending."""


@dataclass
class JournalEntry:
    at: dt.datetime
    infobase: str
    login: str = ""
    service: str = ""
    operation: str = ""
    node_code: str = ""
    soap_version: str = ""
    http_status: int = 0
    outcome: str = ""
    message: str = ""
    duration_ms: int = 0
    request_body: bytes = b""
    response_body: bytes = b""
    request_size: int = 0
    response_size: int = 0
    injected_fault: str = ""


def clip(body: bytes, limit: int) -> str:
    """The first ``limit`` bytes of a body as text (never split a UTF-8 character into garbage; no NUL, which
    PostgreSQL text cannot hold: a UTF-16 body sent as UTF-8 is still journaled)."""
    return body[:limit].decode("utf-8", errors="ignore").replace("\x00", "\ufffd") if limit > 0 else ""


_INSERT = insert(cast(Table, SoapCall.__table__))


class DatabaseJournal:
    """One row per call, written by a writer thread in batches (group commit).

    A request hands its entry over (``submit``) and is told once the batch holding it is committed: the HTTP edge
    sends its answer only then, so whoever reads the journal after a call was answered — the control API, the back
    office, the CLI, another server process, a test reading the table — sees its row (read-your-writes without a
    flush barrier on any read path). What the batching saves is the per-call transaction: calls answered at the same
    time share one ``INSERT`` and one commit (on SQLite one wait for the write lock instead of one per call), and
    no request thread is taken for the write. ``close`` (the app's shutdown) writes what is queued and stops the
    writer; entries submitted after that are written at once by the caller.
    """

    def __init__(self, sessions: sessionmaker[Session], *, body_limit: int, max_batch: int = 100) -> None:
        self.sessions = sessions
        self.body_limit = body_limit
        self.max_batch = max_batch
        self._queue: list[tuple[JournalEntry, Callable[[], None] | None]] = []
        self._wake = threading.Condition()
        self._writer: threading.Thread | None = None
        self._closed = False
        self.batches = 0
        """How many transactions wrote entries (for tests and benchmarks)."""

    def record(self, entry: JournalEntry) -> None:
        """Write ``entry`` and return once it is committed (for callers that are a thread anyway)."""
        done = threading.Event()
        self.submit(entry, done.set)
        done.wait()

    def submit(self, entry: JournalEntry, on_written: Callable[[], None] | None = None) -> None:
        """Queue ``entry`` for the writer; ``on_written`` is called (in the writer's thread) once it is committed,
        or once writing it failed (logged: the journal must never break a call)."""
        with self._wake:
            if not self._closed:
                self._queue.append((entry, on_written))
                if self._writer is None:
                    self._writer = threading.Thread(target=self._run, name="kassa-journal", daemon=True)
                    self._writer.start()
                self._wake.notify()
                return
        self._write([(entry, on_written)])

    def close(self, timeout: float = 60.0) -> None:
        """Write every queued entry and stop the writer (a clean shutdown loses nothing); a writer stuck longer than
        ``timeout`` seconds (a database that does not answer) is left behind, logged, so a shutdown cannot hang."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            writer = self._writer
        if writer is not None:
            writer.join(timeout)
            if writer.is_alive():
                logger.error(
                    "the journal writer did not finish in %.0f s; %d entries unwritten", timeout, len(self._queue)
                )

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            self._write(batch)

    def _write(self, batch: list[tuple[JournalEntry, Callable[[], None] | None]]) -> None:
        try:
            self._insert([self._row(entry) for entry, _ in batch])
        except Exception:  # the journal must never break a call; one bad row must not lose the others
            if len(batch) == 1:
                logger.exception("could not journal a SOAP call")
            else:
                for entry, _ in batch:
                    try:
                        self._insert([self._row(entry)])
                    except Exception:
                        logger.exception("could not journal a SOAP call")
        for _, on_written in batch:
            if on_written is not None:
                try:
                    on_written()
                except Exception:
                    logger.exception("a journal callback failed")

    def _insert(self, rows: list[dict[str, object]]) -> None:
        # a Core insert of the batch on a connection of the engine: neither a session nor the ORM's bulk-insert
        # path (a third of the cost of a one-row batch), one commit
        bind = self.sessions.kw.get("bind")
        if isinstance(bind, Engine):
            with bind.begin() as connection:
                connection.execute(_INSERT, rows)
        else:
            with self.sessions.begin() as session:
                session.execute(_INSERT, rows)
        self.batches += 1

    def _row(self, entry: JournalEntry) -> dict[str, object]:
        return {
            "at": entry.at,
            "infobase": entry.infobase[:100],
            "login": entry.login[:100],
            "service": entry.service[:60],
            "operation": entry.operation[:60],
            "node_code": entry.node_code[:100],
            "soap_version": entry.soap_version,
            "http_status": entry.http_status,
            "outcome": entry.outcome[:20],
            "message": entry.message,
            "duration_ms": entry.duration_ms,
            "request_body": clip(entry.request_body, self.body_limit),
            "response_body": clip(entry.response_body, self.body_limit),
            "request_size": entry.request_size,
            "response_size": entry.response_size,
            "injected_fault": entry.injected_fault[:30],
        }


PRUNE_BATCH = 5000
"""Rows deleted per transaction, so pruning never holds a long lock that would make a request wait."""


@dataclass(frozen=True)
class Retention:
    max_rows: int = 0
    """Keep at most this many calls (the newest); 0: no limit."""
    max_age: dt.timedelta | None = None
    """Forget calls older than this; None: no limit."""


def prune_journal(sessions: sessionmaker[Session], retention: Retention, *, now: dt.datetime | None = None) -> int:
    """Delete the calls the retention limits exclude, oldest first, in short transactions; the number deleted."""
    boundary = 0
    with sessions() as session:
        if retention.max_age is not None:
            cutoff = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)) - retention.max_age
            newest_too_old = session.scalar(select(func.max(SoapCall.id)).where(SoapCall.at < cutoff))
            boundary = max(boundary, newest_too_old or 0)
        if retention.max_rows > 0:
            first_dropped = session.scalar(
                select(SoapCall.id).order_by(SoapCall.id.desc()).offset(retention.max_rows).limit(1)
            )
            boundary = max(boundary, first_dropped or 0)
        oldest = session.scalar(select(func.min(SoapCall.id))) or 0
    deleted = 0
    start = oldest
    while start and start <= boundary:
        upto = min(boundary, start + PRUNE_BATCH - 1)
        with sessions.begin() as session:
            deleted += _rowcount(session.execute(delete(SoapCall).where(SoapCall.id <= upto)))
        start = upto + 1
    return deleted


def clear_journal(session: Session, *, infobase: str | None = None) -> int:
    """Delete every journaled call (of one infobase); the number deleted."""
    query = delete(SoapCall)
    if infobase is not None:
        query = query.where(SoapCall.infobase == infobase)
    return _rowcount(session.execute(query))


def _rowcount(result: object) -> int:
    return int(cast(CursorResult, result).rowcount or 0)
