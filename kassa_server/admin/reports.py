"""What clients did, for people and CI pipelines: the SOAP call journal and the receipts received, as rows of plain
values (JSON-ready)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from kassa_server.exchange import journal
from kassa_server.models import CashOperation, CashRegister, Infobase, Receipt, Shift, SoapCall

JOURNAL_OUTCOMES = journal.OUTCOMES


@dataclass(frozen=True)
class JournalFilter:
    """Which journaled calls to show; every field given narrows the selection."""

    operation: str | None = None
    """A SOAP operation, e.g. ``PutData`` (any letter case)."""
    device: str | None = None
    """The node code a call named: a device's factory number."""
    since: dt.datetime | None = None
    """Calls from this moment on (UTC, naive, as the journal stores it)."""
    outcome: str | None = None
    """One of ``JOURNAL_OUTCOMES``."""


def journal_rows(
    session: Session,
    infobase: Infobase | None,
    *,
    limit: int,
    bodies: bool,
    where: JournalFilter | None = None,
) -> list[dict[str, Any]]:
    """The last ``limit`` calls to the infobase (to any path, known base or not, when None) that ``where`` selects,
    oldest first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = select(SoapCall)
    if infobase is not None:
        query = query.where(SoapCall.infobase == infobase.name)
    where = where or JournalFilter()
    if where.operation:
        query = query.where(func.lower(SoapCall.operation) == where.operation.lower())
    if where.device:
        query = query.where(SoapCall.node_code == where.device)
    if where.since is not None:
        query = query.where(SoapCall.at >= where.since)
    if where.outcome:
        query = query.where(SoapCall.outcome == where.outcome)
    calls = session.scalars(query.order_by(SoapCall.id.desc()).limit(limit)).all()
    rows = []
    for call in reversed(calls):
        row: dict[str, Any] = {
            "at": call.at.isoformat(timespec="milliseconds"),
            "infobase": call.infobase,
            "login": call.login,
            "service": call.service,
            "operation": call.operation,
            "node": call.node_code,
            "soap": call.soap_version,
            "http_status": call.http_status,
            "outcome": call.outcome,
            "message": call.message,
            "duration_ms": call.duration_ms,
            "injected_fault": call.injected_fault,
        }
        if bodies:
            row["request"] = call.request_body
            row["response"] = call.response_body
        rows.append(row)
    return rows


def clear_journal(session: Session, infobase: Infobase | None) -> int:
    """Forget the journaled calls of the infobase, or of every path when None; the number forgotten."""
    return journal.clear_journal(session, infobase=None if infobase is None else infobase.name)


def receipt_rows(session: Session, infobase: Infobase, *, factory_number: str | None) -> list[dict[str, Any]]:
    """The receipts devices sent, oldest first; only those of one device when ``factory_number`` is given."""
    query = (
        select(Receipt)
        .join(CashRegister, Receipt.cash_register_id == CashRegister.id)
        .where(Receipt.infobase_id == infobase.id)
        .options(selectinload(Receipt.lines), selectinload(Receipt.payments), selectinload(Receipt.marking_codes))
        .order_by(Receipt.date, Receipt.id)
    )
    if factory_number:
        query = query.where(CashRegister.factory_number == factory_number)
    return [
        {
            "ref": str(r.ref),
            "kind": r.kind.value,
            "date": r.date.isoformat(),
            "register": r.cash_register.factory_number,
            "shift": r.shift_number,
            "number": r.fiscal_number,
            "amount": f"{r.amount:f}",
            "cash": f"{r.cash_amount:f}",
            "card": f"{r.card_amount:f}",
            "cashier": r.cashier,
            "lines": [
                {
                    "product": line.product_name,
                    "quantity": f"{line.quantity:f}",
                    "amount": f"{line.amount:f}",
                    "characteristic": line.characteristic_name or None,
                    "characteristic_ref": str(line.characteristic_ref) if line.characteristic_ref else None,
                }
                for line in r.lines
            ],
            "payments": [
                {
                    "kind": p.kind.value,
                    "amount": f"{p.amount:f}",
                    "terminal": p.terminal_number or None,
                    "terminal_ref": str(p.terminal_ref) if p.terminal_ref else None,
                }
                for p in r.payments
            ],
            "discount_card": r.discount_card_number or None,
            "discount_card_ref": str(r.discount_card_ref) if r.discount_card_ref else None,
            "marking_codes": [m.code for m in r.marking_codes],
            "base": str(r.base_receipt_ref) if r.base_receipt_ref else None,
        }
        for r in session.scalars(query)
    ]


def shift_rows(session: Session, infobase: Infobase, *, factory_number: str | None) -> list[dict[str, Any]]:
    """The shifts devices opened and closed, oldest first."""
    query = (
        select(Shift, CashRegister.factory_number)
        .join(CashRegister, Shift.cash_register_id == CashRegister.id)
        .where(Shift.infobase_id == infobase.id)
        .order_by(Shift.id)
    )
    if factory_number:
        query = query.where(CashRegister.factory_number == factory_number)
    return [
        {
            "register": register,
            "number": shift.number,
            "opened_at": shift.opened_at,
            "closed_at": shift.closed_at,
            "cashier": shift.cashier,
            "closing_amount": None if shift.closing_amount is None else f"{shift.closing_amount:f}",
        }
        for shift, register in session.execute(query).tuples()
    ]


def cash_operation_rows(session: Session, infobase: Infobase, *, factory_number: str | None) -> list[dict[str, Any]]:
    """Cash put into or taken out of registers, oldest first."""
    query = (
        select(CashOperation, CashRegister.factory_number)
        .join(CashRegister, CashOperation.cash_register_id == CashRegister.id)
        .where(CashOperation.infobase_id == infobase.id)
        .order_by(CashOperation.date, CashOperation.id)
    )
    if factory_number:
        query = query.where(CashRegister.factory_number == factory_number)
    return [
        {
            "ref": str(op.ref),
            "kind": op.kind.value,
            "date": op.date,
            "register": register,
            "shift": op.shift_number,
            "amount": f"{op.amount:f}",
            "cashier": op.cashier,
        }
        for op, register in session.execute(query).tuples()
    ]
