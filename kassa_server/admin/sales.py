"""What the registers sent, for people: receipts (Чеки ККМ) with filters and paging, a receipt's card, cash shifts
with their totals, and the figures of the start page (today's sales, open shifts, each register's last exchange)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from kassa_server.admin.paging import ListPage, paged
from kassa_server.errors import NotFoundError
from kassa_server.models import (
    AcquiringTerminal,
    CashOperation,
    CashRegister,
    CustomerOrder,
    DiscountCard,
    ExchangeNode,
    Infobase,
    Receipt,
    ReceiptLine,
    Shift,
    SoapCall,
)
from kassa_server.models.enums import CashOperationKind, ReceiptKind

PAGE_SIZE = 50

__all__ = ["ListPage"]


@dataclass(frozen=True)
class ReceiptFilter:
    register_id: int | None = None
    shift: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    kind: ReceiptKind | None = None


def list_registers(session: Session, infobase: Infobase) -> list[CashRegister]:
    return list(
        session.scalars(select(CashRegister).where(CashRegister.infobase_id == infobase.id).order_by(CashRegister.name))
    )


def list_receipts(
    session: Session, infobase: Infobase, criteria: ReceiptFilter, *, page: int = 1, page_size: int = PAGE_SIZE
) -> ListPage:
    query = select(Receipt).where(Receipt.infobase_id == infobase.id)
    if criteria.register_id is not None:
        query = query.where(Receipt.cash_register_id == criteria.register_id)
    if criteria.shift:
        query = query.where(Receipt.shift_number == criteria.shift)
    if criteria.date_from is not None:
        query = query.where(Receipt.date >= dt.datetime.combine(criteria.date_from, dt.time()))
    if criteria.date_to is not None:
        query = query.where(Receipt.date < dt.datetime.combine(criteria.date_to + dt.timedelta(days=1), dt.time()))
    if criteria.amount_min is not None:
        query = query.where(Receipt.amount >= criteria.amount_min)
    if criteria.amount_max is not None:
        query = query.where(Receipt.amount <= criteria.amount_max)
    if criteria.kind is not None:
        query = query.where(Receipt.kind == criteria.kind)
    return paged(session, query.order_by(Receipt.date.desc(), Receipt.id.desc()), page, page_size)


def get_receipt(session: Session, infobase: Infobase, receipt_id: int) -> Receipt:
    receipt = session.scalar(
        select(Receipt)
        .where(Receipt.infobase_id == infobase.id, Receipt.id == receipt_id)
        .options(selectinload(Receipt.lines), selectinload(Receipt.payments), selectinload(Receipt.marking_codes))
    )
    if receipt is None:
        raise NotFoundError(f"no receipt {receipt_id} in infobase {infobase.name!r}")
    return receipt


def receipt_order(session: Session, receipt: Receipt) -> CustomerOrder | None:
    return session.get(CustomerOrder, receipt.order_id) if receipt.order_id is not None else None


def receipt_card(session: Session, receipt: Receipt) -> DiscountCard | None:
    """The discount card the receipt was sold with, when it is one of ours."""
    return session.get(DiscountCard, receipt.discount_card_id) if receipt.discount_card_id is not None else None


def receipt_terminals(session: Session, receipt: Receipt) -> dict[int, AcquiringTerminal]:
    """Terminal id → the terminal of each card payment that names one of ours."""
    ids = {p.terminal_id for p in receipt.payments if p.terminal_id is not None}
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(AcquiringTerminal).where(AcquiringTerminal.id.in_(ids)))}


def base_receipt(session: Session, receipt: Receipt) -> Receipt | None:
    """The sale a return refers to (``Основание``), when it is here."""
    if receipt.base_receipt_ref is None:
        return None
    return session.scalar(
        select(Receipt).where(Receipt.infobase_id == receipt.infobase_id, Receipt.ref == receipt.base_receipt_ref)
    )


@dataclass
class ShiftRow:
    shift: Shift
    sales: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    receipts: int = 0
    cash_in: Decimal = Decimal(0)
    cash_out: Decimal = Decimal(0)

    @property
    def revenue(self) -> Decimal:
        return self.sales - self.returns


def list_shifts(
    session: Session,
    infobase: Infobase,
    *,
    register_id: int | None = None,
    open_only: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ListPage:
    query = select(Shift).where(Shift.infobase_id == infobase.id)
    if register_id is not None:
        query = query.where(Shift.cash_register_id == register_id)
    if open_only:
        query = query.where(Shift.closed_at.is_(None))
    listed = paged(session, query.order_by(Shift.opened_at.desc(), Shift.id.desc()), page, page_size)
    rows = {(s.cash_register_id, s.number): ShiftRow(s) for s in listed.rows}
    if rows:
        registers = {key[0] for key in rows}
        numbers = {key[1] for key in rows}
        totals = session.execute(
            select(
                Receipt.cash_register_id,
                Receipt.shift_number,
                func.sum(case((Receipt.kind == ReceiptKind.SALE, Receipt.amount), else_=0)),
                func.sum(case((Receipt.kind == ReceiptKind.RETURN, Receipt.amount), else_=0)),
                func.count(Receipt.id),
            )
            .where(
                Receipt.infobase_id == infobase.id,
                Receipt.cash_register_id.in_(registers),
                Receipt.shift_number.in_(numbers),
                Receipt.cancelled.is_(False),
            )
            .group_by(Receipt.cash_register_id, Receipt.shift_number)
        )
        for register_id_, number, sales, returns, count in totals:
            row = rows.get((register_id_, number))
            if row is not None:
                row.sales, row.returns, row.receipts = Decimal(sales or 0), Decimal(returns or 0), int(count)
        operations = session.execute(
            select(
                CashOperation.cash_register_id, CashOperation.shift_number, CashOperation.kind, CashOperation.amount
            ).where(
                CashOperation.infobase_id == infobase.id,
                CashOperation.cash_register_id.in_(registers),
                CashOperation.shift_number.in_(numbers),
            )
        )
        for register_id_, number, kind, amount in operations:
            row = rows.get((register_id_, number))
            if row is not None:
                if kind == CashOperationKind.CASH_IN:
                    row.cash_in += amount
                else:
                    row.cash_out += amount
    listed.rows = list(rows.values())
    return listed


@dataclass
class RegisterToday:
    register: CashRegister
    node: ExchangeNode | None
    sales: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    receipts: int = 0
    open_shift: Shift | None = None
    last_call: SoapCall | None = None
    errors_today: int = 0
    pending: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.sales - self.returns


@dataclass
class Overview:
    day: dt.date
    registers: list[RegisterToday] = field(default_factory=list)

    @property
    def revenue(self) -> Decimal:
        return sum((r.revenue for r in self.registers), Decimal(0))

    @property
    def receipts(self) -> int:
        return sum(r.receipts for r in self.registers)

    @property
    def open_shifts(self) -> int:
        return sum(1 for r in self.registers if r.open_shift is not None)


def overview(session: Session, infobase: Infobase, day: dt.date, pending: Any = None) -> Overview:
    """The start page's figures for ``day``; ``pending(node) -> int`` counts a node's changes waiting to be sent."""
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    result = Overview(day)
    nodes = {
        node.cash_register_id: node
        for node in session.scalars(
            select(ExchangeNode).where(ExchangeNode.infobase_id == infobase.id, ExchangeNode.deleted.is_(False))
        )
    }
    by_id: dict[int, RegisterToday] = {}
    for register in list_registers(session, infobase):
        if register.deleted:
            continue
        row = RegisterToday(register, nodes.get(register.id))
        by_id[register.id] = row
        result.registers.append(row)
    if not by_id:
        return result
    totals = session.execute(
        select(
            Receipt.cash_register_id,
            func.sum(case((Receipt.kind == ReceiptKind.SALE, Receipt.amount), else_=0)),
            func.sum(case((Receipt.kind == ReceiptKind.RETURN, Receipt.amount), else_=0)),
            func.count(Receipt.id),
        )
        .where(
            Receipt.infobase_id == infobase.id,
            Receipt.date >= start,
            Receipt.date < end,
            Receipt.cancelled.is_(False),
        )
        .group_by(Receipt.cash_register_id)
    )
    for register_id, sales, returns, count in totals:
        if register_id in by_id:
            row = by_id[register_id]
            row.sales, row.returns, row.receipts = Decimal(sales or 0), Decimal(returns or 0), int(count)
    for shift in session.scalars(
        select(Shift).where(Shift.infobase_id == infobase.id, Shift.closed_at.is_(None)).order_by(Shift.opened_at)
    ):
        if shift.cash_register_id in by_id:
            by_id[shift.cash_register_id].open_shift = shift
    for row in result.registers:
        if row.node is None:
            continue
        row.last_call = session.scalar(
            select(SoapCall)
            .where(SoapCall.infobase == infobase.name, SoapCall.node_code == row.node.code)
            .order_by(SoapCall.id.desc())
            .limit(1)
        )
        row.errors_today = int(
            session.scalar(
                select(func.count(SoapCall.id)).where(
                    SoapCall.infobase == infobase.name,
                    SoapCall.node_code == row.node.code,
                    SoapCall.at >= start,
                    SoapCall.outcome.in_(("fault", "soft_error", "rejected")),
                )
            )
            or 0
        )
        if pending is not None:
            row.pending = pending(row.node)
    return result


def receipt_by_ref(session: Session, infobase: Infobase, ref: uuid.UUID) -> Receipt | None:
    return session.scalar(select(Receipt).where(Receipt.infobase_id == infobase.id, Receipt.ref == ref))


def order_receipts(session: Session, order: CustomerOrder) -> list[Receipt]:
    """The receipts that paid (or returned) this order, as the devices reported them."""
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.infobase_id == order.infobase_id, Receipt.order_id == order.id)
            .order_by(Receipt.date)
        )
    )


@dataclass
class DaySales:
    day: dt.date
    sales: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    receipts: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.sales - self.returns


@dataclass
class GoodsSales:
    name: str
    quantity: Decimal
    amount: Decimal


def sales_by_day(
    session: Session, infobase: Infobase, date_from: dt.date, date_to: dt.date, *, register_id: int | None = None
) -> list[DaySales]:
    """Sales, returns and receipts per day from ``date_from`` to ``date_to`` (every day, zero when nothing sold)."""
    start = dt.datetime.combine(date_from, dt.time())
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
    query = select(Receipt.date, Receipt.kind, Receipt.amount).where(
        Receipt.infobase_id == infobase.id, Receipt.date >= start, Receipt.date < end, Receipt.cancelled.is_(False)
    )
    if register_id is not None:
        query = query.where(Receipt.cash_register_id == register_id)
    days = {
        date_from + dt.timedelta(days=n): DaySales(date_from + dt.timedelta(days=n))
        for n in range((date_to - date_from).days + 1)
    }
    for when, kind, amount in session.execute(query):
        row = days.get(when.date())
        if row is None:
            continue
        row.receipts += 1
        if kind == ReceiptKind.RETURN:
            row.returns += amount
        else:
            row.sales += amount
    return list(days.values())


def sales_by_goods(
    session: Session,
    infobase: Infobase,
    date_from: dt.date,
    date_to: dt.date,
    *,
    register_id: int | None = None,
    limit: int = 20,
) -> list[GoodsSales]:
    """The goods sold most (by sum, returns subtracted) from ``date_from`` to ``date_to``."""
    start = dt.datetime.combine(date_from, dt.time())
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
    sign = case((Receipt.kind == ReceiptKind.RETURN, -1), else_=1)
    amount = func.sum(ReceiptLine.amount * sign)
    query = (
        select(ReceiptLine.product_name, func.sum(ReceiptLine.quantity * sign), amount)
        .join(Receipt, ReceiptLine.receipt_id == Receipt.id)
        .where(
            Receipt.infobase_id == infobase.id, Receipt.date >= start, Receipt.date < end, Receipt.cancelled.is_(False)
        )
        .group_by(ReceiptLine.product_name)
        .order_by(amount.desc())
        .limit(limit)
    )
    if register_id is not None:
        query = query.where(Receipt.cash_register_id == register_id)
    return [GoodsSales(name, Decimal(qty or 0), Decimal(total or 0)) for name, qty, total in session.execute(query)]


def list_cash_operations(
    session: Session, infobase: Infobase, *, register_id: int | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> ListPage:
    """Внесения и выемки: cash put into and taken out of the registers, newest first."""
    query = select(CashOperation).where(CashOperation.infobase_id == infobase.id)
    if register_id is not None:
        query = query.where(CashOperation.cash_register_id == register_id)
    return paged(session, query.order_by(CashOperation.date.desc(), CashOperation.id.desc()), page, page_size)
