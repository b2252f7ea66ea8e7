"""``kassa-server journal export --cassette DIR``: the SOAP calls our own server journaled, as a cassette.

Bodies are as the journal kept them: cut at ``KASSA_LIMITS_JOURNAL_BODY_LIMIT`` (64 KiB by default), so raise it
before a session whose large parts must replay.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from kassa_server.admin.verification import journal_entries
from kassa_server.record.cassette import Interaction, Message, write

CONTENT_TYPES = {"1.2": "application/soap+xml; charset=utf-8", "1.1": "text/xml; charset=utf-8"}


def export_journal(session: Session, infobase: str, directory: Path, *, after_id: int = 0) -> int:
    """Write each journaled SOAP call of ``infobase`` (those with a request body) as a cassette file; their count."""
    number = 0
    while True:
        rows = journal_entries(session, infobase, after_id=after_id, limit=500)
        if not rows:
            return number
        for row in rows:
            after_id = row.id
            if not row.request_body:
                continue
            number += 1
            content_type = CONTENT_TYPES.get(row.soap_version, CONTENT_TYPES["1.1"])
            write(
                directory,
                number,
                Interaction(
                    method="POST",
                    path=f"/{infobase}/ws/{row.service}",
                    query="",
                    request=Message(row.request_body, {"content-type": content_type}),
                    response=Message(row.response_body, {"content-type": content_type}, row.http_status),
                    duration_ms=row.duration_ms,
                    at=row.at.isoformat(timespec="milliseconds"),
                ),
            )
