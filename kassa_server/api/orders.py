"""``/infobases/{infobase}/orders``: customer orders, assigned to a device and moved through their statuses."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from kassa_server.admin import orders
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.models import CustomerOrder
from kassa_server.models.enums import OrderStatus

router = APIRouter(tags=["orders"])


class OrderLineIn(BaseModel):
    product: uuid.UUID = Field(description="The product's ref")
    quantity: Decimal
    price: Decimal | None = Field(None, description="Default: the product's price")


class OrderIn(BaseModel):
    number: str
    lines: list[OrderLineIn]
    status: OrderStatus = OrderStatus.NEW
    device: str | None = Field(None, description="Factory number of the «1С:Мобильная касса» it is assigned to")
    counterparty: uuid.UUID | None = Field(None, description="The customer's ref; an order sent to a device needs one")
    organization: str | None = None
    store: str | None = None
    date: dt.datetime | None = None
    comment: str = ""


class OrderChange(BaseModel):
    status: OrderStatus
    device: str | None = Field(None, description="Assign it to this device too")


class CounterpartyOut(BaseModel):
    ref: uuid.UUID
    name: str
    inn: str


class OrderLineOut(BaseModel):
    line_no: int
    product_id: int
    quantity: Decimal
    price: Decimal
    amount: Decimal


class OrderOut(BaseModel):
    ref: uuid.UUID
    number: str
    date: dt.datetime
    status: OrderStatus
    device: str | None
    amount: Decimal
    comment: str
    paid: bool
    lines: list[OrderLineOut]


def order_out(order: CustomerOrder) -> OrderOut:
    return OrderOut(
        ref=order.ref,
        number=order.number,
        date=order.date,
        status=order.status,
        device=order.cash_register.factory_number if order.cash_register else None,
        amount=order.amount,
        comment=order.comment,
        paid=order.paid,
        lines=[
            OrderLineOut(
                line_no=line.line_no,
                product_id=line.product_id,
                quantity=line.quantity,
                price=line.price,
                amount=line.amount,
            )
            for line in order.lines
        ],
    )


@router.get("/infobases/{infobase}/orders", response_model=list[OrderOut], responses=NOT_FOUND)
def list_all(
    status: OrderStatus | None = None,
    device: str | None = None,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> list[OrderOut]:
    with context.transaction() as session:
        rows = orders.list_orders(session, get_infobase(session, infobase), status=status, device=device)
        return [order_out(o) for o in rows]


@router.get("/infobases/{infobase}/counterparties", response_model=list[CounterpartyOut], responses=NOT_FOUND)
def counterparties(
    infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[CounterpartyOut]:
    """The customers orders can name."""
    with context.transaction() as session:
        rows = orders.list_counterparties(session, get_infobase(session, infobase))
        return [CounterpartyOut(ref=c.ref, name=c.name, inn=c.inn) for c in rows]


@router.post("/infobases/{infobase}/orders", status_code=201, response_model=OrderOut, responses=NOT_FOUND)
def create(body: OrderIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> OrderOut:
    """Create an order; assigned to a device in status agreed, assembled or in_transit, it goes to that device."""
    data = orders.OrderInput(
        number=body.number,
        lines=[orders.OrderLineInput(line.product, line.quantity, line.price) for line in body.lines],
        date=body.date,
        status=body.status,
        organization=body.organization,
        store=body.store,
        device=body.device,
        counterparty=body.counterparty,
        comment=body.comment,
    )
    with context.transaction() as session:
        return order_out(orders.create_order(session, get_infobase(session, infobase), data))


@router.get("/infobases/{infobase}/orders/{ref}", response_model=OrderOut, responses=NOT_FOUND)
def get_one(ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> OrderOut:
    with context.transaction() as session:
        return order_out(orders.get_order(session, get_infobase(session, infobase), ref))


@router.patch("/infobases/{infobase}/orders/{ref}", response_model=OrderOut, responses=NOT_FOUND)
def change(
    ref: uuid.UUID, body: OrderChange, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> OrderOut:
    """Change the status (and the device)."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return order_out(orders.set_order_status(session, row, ref, body.status, device=body.device))


@router.delete("/infobases/{infobase}/orders/{ref}", status_code=204, responses=NOT_FOUND)
def delete(ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    with context.transaction() as session:
        orders.delete_order(session, get_infobase(session, infobase), ref)
    return Response(status_code=204)
