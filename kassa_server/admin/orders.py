"""Customer orders: create one with its lines, list, change its status or the device it is assigned to.

Orders in the statuses of ``DEVICE_ORDER_STATUSES`` travel to the device named in their ККТ field (mobile-kassa.md §6).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kassa_server.admin.devices import get_device
from kassa_server.admin.organizations import get_organization, get_store
from kassa_server.errors import NotFoundError, ValidationError
from kassa_server.models import CashRegister, Counterparty, CustomerOrder, Infobase, OrderLine, Product, Store
from kassa_server.models.enums import DEVICE_ORDER_STATUSES, LegalForm, OrderStatus, VatRate

_VAT_PERCENT = {
    VatRate.VAT5: Decimal(5),
    VatRate.VAT7: Decimal(7),
    VatRate.VAT10: Decimal(10),
    VatRate.VAT18: Decimal(18),
    VatRate.VAT20: Decimal(20),
    VatRate.VAT22: Decimal(22),
    VatRate.VAT10_110: Decimal(10),
    VatRate.VAT18_118: Decimal(18),
    VatRate.VAT20_120: Decimal(20),
}


@dataclass(frozen=True)
class OrderLineInput:
    product: uuid.UUID
    """The product's ref."""
    quantity: Decimal
    price: Decimal | None = None
    """Default: the product's first price."""


@dataclass(frozen=True)
class OrderInput:
    number: str
    lines: Sequence[OrderLineInput]
    date: dt.datetime | None = None
    """Default: now (local time, as 1C dates are)."""
    status: OrderStatus = OrderStatus.NEW
    organization: str | None = None
    store: str | None = None
    counterparty: uuid.UUID | None = None
    device: str | None = None
    """Factory number of the «1С:Мобильная касса» the order goes to."""
    comment: str = ""


@dataclass(frozen=True)
class CounterpartyInput:
    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    legal_form: LegalForm = LegalForm.INDIVIDUAL
    phone: str = ""
    email: str = ""


def create_counterparty(session: Session, infobase: Infobase, data: CounterpartyInput) -> Counterparty:
    """A customer the orders name."""
    if not data.name.strip():
        raise ValidationError("name", "the customer's name is empty")
    counterparty = Counterparty(
        infobase_id=infobase.id,
        name=data.name.strip(),
        full_name=data.full_name,
        inn=data.inn,
        kpp=data.kpp,
        legal_form=data.legal_form,
        phone=data.phone,
        email=data.email,
    )
    session.add(counterparty)
    session.flush()
    return counterparty


def create_order(session: Session, infobase: Infobase, data: OrderInput) -> CustomerOrder:
    if not data.number.strip():
        raise ValidationError("number", "the order's number is empty")
    if not data.lines:
        raise ValidationError("lines", "an order needs at least one line")
    organization = get_organization(session, infobase, data.organization)
    store: Store | None = get_store(session, infobase, data.store, organization=organization)
    register: CashRegister | None = None
    if data.device is not None:
        register = get_device(session, infobase, data.device).register
    counterparty = None
    if data.counterparty is not None:
        counterparty = session.scalar(
            select(Counterparty).where(Counterparty.infobase_id == infobase.id, Counterparty.ref == data.counterparty)
        )
        if counterparty is None:
            raise NotFoundError(f"no counterparty with ref {data.counterparty} in infobase {infobase.name!r}")
    now = dt.datetime.now().replace(microsecond=0)
    _check_sendable(data.status, register, counterparty)
    order = CustomerOrder(
        infobase_id=infobase.id,
        number=data.number.strip(),
        date=data.date or now,
        organization=organization,
        counterparty=counterparty,
        store=store,
        status=data.status,
        status_changed_at=now,
        cash_register=register,
        amount=Decimal(0),
        comment=data.comment,
    )
    _fill_lines(session, infobase, order, data.lines)
    session.add(order)
    session.flush()
    return order


def list_orders(
    session: Session, infobase: Infobase, *, status: OrderStatus | None = None, device: str | None = None
) -> list[CustomerOrder]:
    query = (
        select(CustomerOrder)
        .where(CustomerOrder.infobase_id == infobase.id, CustomerOrder.deleted.is_(False))
        .options(selectinload(CustomerOrder.lines))
        .order_by(CustomerOrder.date, CustomerOrder.id)
    )
    if status is not None:
        query = query.where(CustomerOrder.status == status)
    if device is not None:
        query = query.join(CashRegister, CustomerOrder.cash_register_id == CashRegister.id).where(
            CashRegister.factory_number == device
        )
    return list(session.scalars(query))


def get_order(session: Session, infobase: Infobase, ref: uuid.UUID) -> CustomerOrder:
    order = session.scalar(
        select(CustomerOrder).where(CustomerOrder.infobase_id == infobase.id, CustomerOrder.ref == ref)
    )
    if order is None:
        raise NotFoundError(f"no order with ref {ref} in infobase {infobase.name!r}")
    return order


def set_order_status(
    session: Session,
    infobase: Infobase,
    ref: uuid.UUID,
    status: OrderStatus,
    *,
    device: str | None = None,
    unassign: bool = False,
) -> CustomerOrder:
    """Change an order's status (and, with ``device``, the «1С:Мобильная касса» it is assigned to; with ``unassign``,
    clear its ККТ, so it goes to no device)."""
    order = get_order(session, infobase, ref)
    if device is not None:
        order.cash_register = get_device(session, infobase, device).register
    elif unassign:
        order.cash_register = None
    _check_sendable(status, order.cash_register, order.counterparty)
    if order.status != status:
        order.status = status
        order.status_changed_at = dt.datetime.now().replace(microsecond=0)
    session.flush()
    return order


def set_order_lines(
    session: Session, infobase: Infobase, ref: uuid.UUID, lines: Sequence[OrderLineInput]
) -> CustomerOrder:
    """Replace an order's lines (and so its sum); a device holding the order gets it again. An order the device has
    taken payment for, or a completed or cancelled one, keeps its lines."""
    order = get_order(session, infobase, ref)
    if order.paid or order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        raise ValidationError("lines", f"order {order.number} is paid, completed or cancelled: its lines stay")
    if not lines:
        raise ValidationError("lines", "an order needs at least one line")
    order.lines.clear()
    session.flush()
    order.amount = Decimal(0)
    _fill_lines(session, infobase, order, lines)
    session.flush()
    return order


def _fill_lines(session: Session, infobase: Infobase, order: CustomerOrder, lines: Sequence[OrderLineInput]) -> None:
    for line_no, line in enumerate(lines, start=1):
        product = session.scalar(
            select(Product)
            .where(Product.infobase_id == infobase.id, Product.ref == line.product)
            .options(selectinload(Product.prices))
        )
        if product is None:
            raise NotFoundError(f"line {line_no}: no product with ref {line.product} in infobase {infobase.name!r}")
        if line.quantity <= 0:
            raise ValidationError("lines", f"line {line_no}: the quantity must be positive")
        price = line.price if line.price is not None else (product.prices[0].value if product.prices else Decimal(0))
        amount = (price * line.quantity).quantize(Decimal("0.01"))
        rate = _VAT_PERCENT.get(product.vat_rate, Decimal(0))
        order.lines.append(
            OrderLine(
                line_no=line_no,
                product=product,
                quantity=line.quantity,
                price=price,
                amount=amount,
                vat_rate=product.vat_rate,
                vat_amount=(amount * rate / (100 + rate)).quantize(Decimal("0.01")),
            )
        )
        order.amount += amount


def _check_sendable(status: OrderStatus, register: CashRegister | None, counterparty: Counterparty | None) -> None:
    """An order that goes to a device needs a customer: ``Контрагент`` is required in ``Документ.ЗаказКлиента``."""
    if register is not None and status in DEVICE_ORDER_STATUSES and counterparty is None:
        raise ValidationError(
            "counterparty", "an order sent to a device needs a customer (ЗаказКлиента requires Контрагент)"
        )


def next_order_number(session: Session, infobase: Infobase, prefix: str = "ЗК-") -> str:
    """A number no order of the infobase has: the prefix and one more than the largest such number (``ЗК-00017``)."""
    numbers = session.scalars(
        select(CustomerOrder.number).where(
            CustomerOrder.infobase_id == infobase.id, CustomerOrder.number.startswith(prefix, autoescape=True)
        )
    )
    highest = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{highest + 1:05d}"


def list_counterparties(session: Session, infobase: Infobase) -> list[Counterparty]:
    return list(
        session.scalars(
            select(Counterparty)
            .where(Counterparty.infobase_id == infobase.id, Counterparty.deleted.is_(False))
            .order_by(Counterparty.name)
        )
    )


def delete_order(session: Session, infobase: Infobase, ref: uuid.UUID) -> CustomerOrder:
    """Mark an order deleted: it leaves the list, and a device that had it drops it at the next exchange."""
    order = get_order(session, infobase, ref)
    if order.deleted:
        raise NotFoundError(f"the order {order.number!r} is deleted already")
    order.deleted = True
    session.flush()
    return order
