"""Продажи: Чеки ККМ, карточка чека, кассовые смены."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from starlette.responses import Response

from kassa_server.admin.sales import (
    DaySales,
    ReceiptFilter,
    base_receipt,
    get_receipt,
    list_cash_operations,
    list_receipts,
    list_registers,
    list_shifts,
    receipt_card,
    receipt_order,
    receipt_terminals,
    sales_by_day,
    sales_by_goods,
)
from kassa_server.models.enums import ORDER_STATUS_NAMES, ReceiptKind
from kassa_server.web.pages import Page, page_handler

RECEIPT_KINDS = {ReceiptKind.SALE: "Продажа", ReceiptKind.RETURN: "Возврат"}


@page_handler("receipts")
def receipts(page: Page) -> Response:
    q = page.query
    problems: list[str] = []
    criteria = ReceiptFilter(
        register_id=_int(q.get("register")),
        shift=q.get("shift", "").strip(),
        date_from=_date(q.get("from", ""), "Дата с", problems),
        date_to=_date(q.get("to", ""), "Дата по", problems),
        amount_min=_decimal(q.get("min", ""), "Сумма от", problems),
        amount_max=_decimal(q.get("max", ""), "Сумма до", problems),
        kind=ReceiptKind(q["kind"]) if q.get("kind") in ReceiptKind.__members__.values() else None,
    )
    listed = list_receipts(page.db, page.infobase, criteria, page=_int(q.get("page")) or 1)
    return page.render(
        "receipts.html",
        listed=listed,
        registers=list_registers(page.db, page.infobase),
        filters=dict(q),
        problems=problems,
        kinds=RECEIPT_KINDS,
    )


@page_handler("receipts")
def receipt(page: Page) -> Response:
    found = get_receipt(page.db, page.infobase, page.request.path_params["receipt_id"])
    return page.render(
        "receipt.html",
        receipt=found,
        order=receipt_order(page.db, found),
        base=base_receipt(page.db, found),
        card=receipt_card(page.db, found),
        terminals=receipt_terminals(page.db, found),
        kinds=RECEIPT_KINDS,
        statuses=ORDER_STATUS_NAMES,
    )


@page_handler("shifts")
def shifts(page: Page) -> Response:
    q = page.query
    listed = list_shifts(
        page.db,
        page.infobase,
        register_id=_int(q.get("register")),
        open_only=q.get("open") == "1",
        page=_int(q.get("page")) or 1,
    )
    return page.render("shifts.html", listed=listed, registers=list_registers(page.db, page.infobase), filters=dict(q))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def _date(text: str, label: str, problems: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"«{label}»: «{text}» — не дата.")
        return None


def _decimal(text: str, label: str, problems: list[str]) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        problems.append(f"«{label}»: «{text}» — не число.")
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e13"):
        problems.append(f"«{label}»: «{text}» — вне допустимого диапазона.")
        return None
    return value


@page_handler("report")
def report(page: Page) -> Response:
    """Отчет о продажах: by day (a bar chart drawn here as SVG) and by goods, for a period and a register."""
    q = page.query
    problems: list[str] = []
    today = dt.date.today()
    date_to = _date(q.get("to", ""), "по", problems) or today
    date_from = _date(q.get("from", ""), "Период с", problems) or date_to - dt.timedelta(days=13)
    if date_from > date_to:
        problems.append("Начало периода позже его конца.")
        date_from = date_to
    if (date_to - date_from).days > 366:
        problems.append("Период — не больше года.")
        date_from = date_to - dt.timedelta(days=366)
    register_id = _int(q.get("register"))
    days = sales_by_day(page.db, page.infobase, date_from, date_to, register_id=register_id)
    return page.render(
        "report.html",
        days=days,
        chart=_chart(days),
        goods=sales_by_goods(page.db, page.infobase, date_from, date_to, register_id=register_id),
        registers=list_registers(page.db, page.infobase),
        filters={"from": date_from.isoformat(), "to": date_to.isoformat(), "register": q.get("register", "")},
        problems=problems,
        total=sum((d.revenue for d in days), Decimal(0)),
    )


@page_handler("cash_operations")
def cash_operations(page: Page) -> Response:
    q = page.query
    registers = list_registers(page.db, page.infobase)
    listed = list_cash_operations(
        page.db, page.infobase, register_id=_int(q.get("register")), page=_int(q.get("page")) or 1
    )
    return page.render(
        "cash_operations.html",
        listed=listed,
        registers=registers,
        names={r.id: r.name for r in registers},
        filters=dict(q),
    )


def _chart(days: list[DaySales]) -> dict[str, object]:
    """Bar geometry for the template's SVG: one bar per day, scaled to the best day."""
    width, height, gap = 720, 220, 4
    top = max((d.revenue for d in days), default=Decimal(0))
    step = width / max(1, len(days))
    bars = []
    for n, day in enumerate(days):
        share = float(day.revenue / top) if top > 0 and day.revenue > 0 else 0.0
        bar_height = round(share * (height - 30), 1)
        bars.append(
            {
                "x": round(n * step + gap / 2, 1),
                "y": round(height - 20 - bar_height, 1),
                "w": round(max(1.0, step - gap), 1),
                "h": bar_height,
                "label": day.day.strftime("%d.%m"),
                "value": day.revenue,
                "cx": round(n * step + step / 2, 1),
            }
        )
    return {"width": width, "height": height, "bars": bars, "top": top, "label_every": max(1, len(days) // 14)}
