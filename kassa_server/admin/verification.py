"""What a test asks about what the devices did: counts of calls and documents, and acknowledgement positions.

Each function is one cheap query, so the control API's "wait until" can poll it.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa_server.enterprisedata.inspection import ObjectLine
from kassa_server.enterprisedata.validation import Problem
from kassa_server.errors import NotFoundError
from kassa_server.models import (
    CashOperation,
    CashRegister,
    ExchangeNode,
    Infobase,
    NodeMessage,
    Receipt,
    Shift,
    SoapCall,
)


def count_calls(
    session: Session,
    infobase: str,
    *,
    operation: str | None = None,
    device: str | None = None,
    service: str | None = None,
    outcome: str | None = None,
) -> int:
    """SOAP calls in the journal of ``infobase`` (a name: the journal outlives infobases), filtered."""
    query = select(func.count(SoapCall.id)).where(SoapCall.infobase == infobase)
    query = _filtered(query, operation=operation, device=device, service=service, outcome=outcome)
    return int(session.scalar(query) or 0)


def calls_by_operation(session: Session, infobase: str, *, device: str | None = None) -> dict[str, int]:
    query = select(SoapCall.operation, func.count(SoapCall.id)).where(SoapCall.infobase == infobase)
    query = _filtered(query, device=device).group_by(SoapCall.operation).order_by(SoapCall.operation)
    return {operation or "": int(count) for operation, count in session.execute(query).tuples()}


def _filtered(query: Any, **filters: str | None) -> Any:
    columns = {
        "operation": SoapCall.operation,
        "device": SoapCall.node_code,
        "service": SoapCall.service,
        "outcome": SoapCall.outcome,
    }
    for name, value in filters.items():
        if value is not None:
            query = query.where(columns[name] == value)
    return query


def count_documents(session: Session, infobase: Infobase, kind: str, *, device: str | None = None) -> int:
    """Receipts, shifts or cash operations the server holds, of one device (factory number) or all."""
    model: Any = {"receipts": Receipt, "shifts": Shift, "cash_operations": CashOperation}[kind]
    query = select(func.count(model.id)).where(model.infobase_id == infobase.id)
    if device is not None:
        query = query.join(CashRegister, model.cash_register_id == CashRegister.id).where(
            CashRegister.factory_number == device
        )
    return int(session.scalar(query) or 0)


def acknowledged_no(session: Session, infobase: Infobase, device: str) -> int:
    """The highest number of our messages to ``device`` that it has acknowledged (0: none)."""
    node = _node(session, infobase, device)
    if node is None:
        return 0
    acked = session.scalar(
        select(func.max(NodeMessage.message_no)).where(
            NodeMessage.node_id == node.id, NodeMessage.max_seq <= node.acked_seq
        )
    )
    return int(acked or 0)


def received_no(session: Session, infobase: Infobase, device: str) -> int:
    """The number of the last message from ``device`` that the server accepted (0: none)."""
    node = _node(session, infobase, device)
    return node.received_no if node is not None else 0


def _node(session: Session, infobase: Infobase, device: str) -> ExchangeNode | None:
    return session.scalar(
        select(ExchangeNode).where(ExchangeNode.infobase_id == infobase.id, ExchangeNode.code == device)
    )


def journal_entries(
    session: Session,
    infobase: str,
    *,
    operation: str | None = None,
    device: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[SoapCall]:
    """Journal rows of ``infobase`` after ``after_id``, oldest first."""
    query = select(SoapCall).where(SoapCall.infobase == infobase, SoapCall.id > after_id)
    query = _filtered(query, operation=operation, device=device).order_by(SoapCall.id).limit(limit)
    return list(session.scalars(query))


@dataclass
class DecodedMessage:
    """An EnterpriseData message carried in a journaled call, object by object, with what is wrong in it."""

    side: str
    """``request`` (the device sent it) or ``response`` (the server did)."""
    header: list[tuple[str, str]]
    objects: list[ObjectLine]
    counts: dict[str, int]
    problems: list[Problem]


_BLOB = re.compile(r"<(?:[\w.-]+:)?(PartData|Data|return)\b[^>]*>\s*(UEsD[A-Za-z0-9+/=\s]+?)\s*</", re.S)


def zip_payloads(body: str) -> list[bytes]:
    """The messages (first ZIP entries) carried base64-encoded in a SOAP body; a part of a larger file is skipped."""
    out = []
    for _, text in _BLOB.findall(body):
        try:
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(text))) as archive:
                first = archive.infolist()[0]
                if first.file_size <= MAX_DECODED:
                    out.append(archive.read(first))
        except (binascii.Error, ValueError, zipfile.BadZipFile, IndexError, EOFError, OSError, zlib.error):
            continue
    return out


MAX_DECODED = 64 * 1024 * 1024


def journal_messages(session: Session, infobase: str, entry_id: int) -> list[DecodedMessage]:
    """The messages in one journaled call's bodies (as far as the journal kept them), decoded object by object."""
    from kassa_server.enterprisedata.errors import FormatError
    from kassa_server.enterprisedata.inspection import HeaderInfo, Totals, overview
    from kassa_server.enterprisedata.validation import validate

    entry = session.get(SoapCall, entry_id)
    if entry is None or entry.infobase != infobase:
        raise NotFoundError(f"no journal entry {entry_id} in infobase {infobase!r}")
    out = []
    for side, body in (("request", entry.request_body), ("response", entry.response_body)):
        for payload in zip_payloads(body):
            header: list[tuple[str, str]] = []
            objects: list[ObjectLine] = []
            counts: dict[str, int] = {}
            try:
                for item in overview(payload):
                    if isinstance(item, HeaderInfo):
                        header = item.fields
                    elif isinstance(item, Totals):
                        counts = dict(item.counts)
                    else:
                        objects.append(item)
                problems = validate(payload, name=f"{side}.xml").problems
            except FormatError as exc:
                problems = [Problem(f"{side}.xml", None, "", None, "", str(exc))]
            out.append(DecodedMessage(side, header, objects, counts, problems))
    return out
