"""The SOAP call journal in the database: one row per call, bodies cut to a size limit."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.models.journal import SoapCall

logger = logging.getLogger(__name__)


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


class DatabaseJournal:
    def __init__(self, sessions: sessionmaker[Session], *, body_limit: int) -> None:
        self.sessions = sessions
        self.body_limit = body_limit

    def record(self, entry: JournalEntry) -> None:
        row = {
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
        try:
            # a Core insert: one row per call, on the hot path of every request, needs no unit of work
            with self.sessions.begin() as session:
                session.execute(insert(SoapCall), [row])
        except Exception:  # the journal must never break a call
            logger.exception("could not journal a SOAP call")
