"""What a test asks about what the devices did: counts of calls and documents, and acknowledgement positions.

Each function is one cheap query, so the control API's "wait until" can poll it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
