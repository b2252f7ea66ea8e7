"""Long operations (1C background jobs) and their recorded results, shared by every worker through the database.

The emulator finishes the work inside the call and records the outcome; a poll then reports it (soap-services.md §8
[I]). ``ProtocolOptions.operation_active_polls`` makes each operation answer ``Active`` that many times first, so a
client developer can test their polling loop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.models.engine import affected_rows, read_only
from kassa_server.models.infobases import utcnow
from kassa_server.models.transfers import LongOperation, OperationStatus

__all__ = ["OperationResult", "OperationStatus", "OperationStore"]

_RECORD = insert(cast(Table, LongOperation.__table__))
"""Built once: a statement built per call spends more on its cache key than on the INSERT."""
_OPERATION = select(
    LongOperation.status,
    LongOperation.error_message,
    LongOperation.file_id,
    LongOperation.part_count,
    LongOperation.active_polls_left,
).where(LongOperation.id == bindparam("id"), LongOperation.infobase_id == bindparam("infobase"))
"""A poll's read, built once and run as Core (plain rows, no ORM result set-up)."""


@dataclass(frozen=True)
class OperationResult:
    status: OperationStatus
    error_message: str = ""
    file_id: str = ""
    part_count: int = 0


class OperationStore:
    def __init__(self, sessions: sessionmaker[Session], *, active_polls: int = 0) -> None:
        self.sessions = sessions
        self.active_polls = active_polls

    def record(
        self,
        infobase_id: int,
        kind: str,
        result: OperationResult,
        *,
        node_code: str = "",
        active_polls: int | None = None,
    ) -> uuid.UUID:
        """Record a finished operation and return its id (the wire ``Operation``/``OperationID``)."""
        operation_id = uuid.uuid4()
        with self.sessions.begin() as session:  # one INSERT: the ORM's unit of work is not needed for a row
            session.execute(
                _RECORD,
                {
                    "id": operation_id,
                    "infobase_id": infobase_id,
                    "kind": kind,
                    "node_code": node_code,
                    "status": result.status,
                    "error_message": result.error_message,
                    "file_id": result.file_id,
                    "part_count": result.part_count,
                    "active_polls_left": self.active_polls if active_polls is None else active_polls,
                    "finished_at": utcnow(),
                },
            )
        return operation_id

    def poll(self, infobase_id: int, operation_id: uuid.UUID) -> OperationResult | None:
        """The operation's state as a client sees it now; None for an unknown id (the wire says ``Canceled``)."""
        with self.sessions() as session:
            # A read first: an operation's active_polls_left only ever falls, so once it reads 0 the recorded result
            # is the answer, and the poll writes nothing (on SQLite it does not queue behind the writers).
            read_only(session)
            row = session.connection().execute(_OPERATION, {"id": operation_id, "infobase": infobase_id}).one_or_none()
        if row is None:
            return None
        if row.active_polls_left > 0 and self._count_active_poll(infobase_id, operation_id):
            return OperationResult(OperationStatus.ACTIVE)
        return OperationResult(row.status, row.error_message, row.file_id, row.part_count)

    def _count_active_poll(self, infobase_id: int, operation_id: uuid.UUID) -> bool:
        """Take one of the operation's ``Active`` answers; False when none is left. The conditional decrement is
        atomic in both SQLite and PostgreSQL, so N polls from any workers see exactly N ``Active`` answers."""
        with self.sessions.begin() as session:
            return bool(
                affected_rows(
                    session.execute(
                        update(LongOperation)
                        .where(
                            LongOperation.id == operation_id,
                            LongOperation.infobase_id == infobase_id,
                            LongOperation.active_polls_left > 0,
                        )
                        .values(active_polls_left=LongOperation.active_polls_left - 1)
                    )
                )
            )

    def purge_older_than(self, age: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Forget operations older than ``age``; results are kept at least 1 h (soap-services.md §8 [I])."""
        cutoff = (now or utcnow()) - age
        with self.sessions.begin() as session:
            return affected_rows(session.execute(delete(LongOperation).where(LongOperation.created_at < cutoff)))
