"""Продажи: Чеки ККМ, карточка чека, кассовые смены."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from starlette.responses import Response

from kassa_server.admin.sales import (
    ReceiptFilter,
    base_receipt,
    get_receipt,
    list_receipts,
    list_registers,
    list_shifts,
    receipt_order,
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
