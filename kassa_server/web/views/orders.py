"""Заказы клиентов: the list by status and register, a new order with its lines, and an order's card where its ККТ
and status are set (Согласован, Собран, В пути send it to that register) and the state the device reported shows."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import Response

from kassa_server.admin import devices, orders
from kassa_server.admin.catalog_search import find_product
from kassa_server.admin.lookup import get_order_by_id
from kassa_server.admin.sales import order_receipts
from kassa_server.errors import KassaError, ValidationError
from kassa_server.models.enums import DEVICE_ORDER_STATUSES, ORDER_STATUS_NAMES, OrderStatus
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, money, page_handler

BLANK_LINES = 5


@page_handler("orders")
def orders_list(page: Page) -> Response:
    q = page.query
    status = OrderStatus(q["status"]) if q.get("status") in OrderStatus.__members__.values() else None
    device = q.get("register") or None
    return page.render(
        "orders.html",
        orders=orders.list_orders(page.db, page.infobase, status=status, device=device),
        devices=devices.list_devices(page.db, page.infobase),
        statuses=ORDER_STATUS_NAMES,
        device_statuses=DEVICE_ORDER_STATUSES,
        filters=dict(q),
    )


@page_handler("orders")
def order_new(page: Page) -> Response:
    errors: dict[str, str] = {}
    if page.request.method == "POST":
        values = _submitted(page)
        try:
            data = _input(page, values)
            with page.act():
                order = orders.create_order(page.db, page.infobase, data)
        except KassaError as exc:
            errors[field_of(exc, "lines")] = error_text(exc)
        else:
            page.flash(f"Заказ {order.number} записан.")
            return page.redirect(page.url("order", order_id=order.id))
    else:
        values = {
            "number": orders.next_order_number(page.db, page.infobase),
            "counterparty": "",
            "device": page.query.get("device", ""),
            "status": OrderStatus.NEW.value,
            "comment": "",
            "lines": [],
        }
    values["lines"] = values["lines"] + [{"product": "", "quantity": "", "price": ""}] * BLANK_LINES
    return page.render(
        "order_new.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        counterparties=[(str(c.ref), c.name) for c in orders.list_counterparties(page.db, page.infobase)],
        devices=_device_choices(page),
        statuses=list(ORDER_STATUS_NAMES.items()),
    )


@page_handler("orders")
def order(page: Page) -> Response:
    found = get_order_by_id(page.db, page.infobase, page.request.path_params["order_id"])
    errors: dict[str, str] = {}
    if page.request.method == "POST":
        status = page.field("status")
        try:
            if status not in OrderStatus.__members__.values():
                raise ValidationError("status", f"status {status!r} is not an order status")
            with page.act():
                orders.set_order_status(
                    page.db,
                    page.infobase,
                    found.ref,
                    OrderStatus(status),
                    device=page.field("device") or None,
                    unassign=not page.field("device"),
                )
        except KassaError as exc:
            errors[field_of(exc, "status")] = error_text(exc)
        else:
            page.flash(f"Заказ {found.number}: статус «{ORDER_STATUS_NAMES[OrderStatus(status)]}».")
            return page.redirect(page.url("order", order_id=found.id))
    return page.render(
        "order.html",
        status=422 if errors else 200,
        order=found,
        errors=errors,
        receipts=order_receipts(page.db, found),
        editable=not found.paid and found.status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED),
        blank_lines=BLANK_LINES // 2,
        devices=_device_choices(page),
        statuses=list(ORDER_STATUS_NAMES.items()),
        status_names=ORDER_STATUS_NAMES,
    )


@page_handler("orders")
def order_lines(page: Page) -> Response:
    found = get_order_by_id(page.db, page.infobase, page.request.path_params["order_id"])
    try:
        lines = _lines(page, _submitted(page)["lines"])
        with page.act():
            orders.set_order_lines(page.db, page.infobase, found.ref, lines)
    except KassaError as exc:
        page.flash(f"Товары заказа не изменены: {error_text(exc)}", "alert")
    else:
        page.flash(f"Заказ {found.number}: товары записаны, сумма {money(found.amount)} ₽.")
    return page.redirect(page.url("order", order_id=found.id))


def _device_choices(page: Page) -> list[tuple[str, str]]:
    return [(d.register.factory_number, d.register.name) for d in devices.list_devices(page.db, page.infobase)]


def _submitted(page: Page) -> dict[str, Any]:
    products, quantities, prices = page.fields("line_product"), page.fields("line_quantity"), page.fields("line_price")
    lines = [
        {"product": p, "quantity": q, "price": c}
        for p, q, c in zip(products, quantities, prices, strict=False)
        if p or q or c
    ]
    return {
        "number": page.field("number"),
        "counterparty": page.field("counterparty"),
        "device": page.field("device"),
        "status": page.field("status"),
        "comment": page.field("comment"),
        "lines": lines,
    }


def _input(page: Page, values: dict[str, Any]) -> orders.OrderInput:
    lines = _lines(page, values["lines"])
    if values["status"] not in OrderStatus.__members__.values():
        raise ValidationError("status", f"status {values['status']!r} is not an order status")
    try:
        counterparty = uuid.UUID(values["counterparty"]) if values["counterparty"] else None
    except ValueError:
        raise ValidationError("counterparty", "no such customer") from None
    return orders.OrderInput(
        number=values["number"],
        lines=lines,
        status=OrderStatus(values["status"]),
        counterparty=counterparty,
        device=values["device"] or None,
        comment=values["comment"],
    )


def _lines(page: Page, submitted: list[dict[str, str]]) -> list[orders.OrderLineInput]:
    lines = []
    for number, line in enumerate(submitted, start=1):
        product = find_product(page.db, page.infobase, line["product"])
        if product is None:
            raise ValidationError(
                "lines", f"line {number}: no product {line['product']!r} (code, article, barcode, name)"
            )
        lines.append(
            orders.OrderLineInput(
                product=product.ref,
                quantity=_decimal(line["quantity"] or "1", number, "quantity"),
                price=_decimal(line["price"], number, "price") if line["price"] else None,
            )
        )
    return lines


def _decimal(text: str, line: int, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u202f", "").replace("\xa0", ""))
    except InvalidOperation:
        raise ValidationError("lines", f"line {line}: the {what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise ValidationError("lines", f"line {line}: the {what} {text!r} is out of range")
    return value
