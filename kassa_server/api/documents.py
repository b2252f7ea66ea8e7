"""``/infobases/{infobase}/receipts|shifts|cash-operations``: what the devices sent, as the server keeps it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from kassa_server.admin.infobases import get_infobase
from kassa_server.admin.reports import cash_operation_rows, receipt_rows, shift_rows
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import NOT_FOUND
from kassa_server.api.infobases import manages

router = APIRouter(tags=["documents"])


class ReceiptLineOut(BaseModel):
    product: str
    quantity: str
    amount: str
    characteristic: str | None = Field(None, description="The characteristic sold (size, colour), by name")
    characteristic_ref: str | None = None


class PaymentOut(BaseModel):
    kind: str
    amount: str
    terminal: str | None = Field(None, description="The acquiring terminal's number a card payment went through")
    terminal_ref: str | None = None


class ReceiptOut(BaseModel):
    ref: str
    kind: str
    date: str
    device: str = Field(validation_alias="register", description="The register's factory number")
    shift: str
    number: str
    amount: str
    cash: str
    card: str
    cashier: str
    lines: list[ReceiptLineOut]
    payments: list[PaymentOut]
    discount_card: str | None = Field(None, description="The number of the discount card the receipt was sold with")
    discount_card_ref: str | None = None
    marking_codes: list[str]
    base: str | None


class ShiftOut(BaseModel):
    device: str = Field(validation_alias="register", description="The register's factory number")
    number: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    cashier: str
    closing_amount: str | None


class CashOperationOut(BaseModel):
    ref: str
    kind: str
    date: dt.datetime
    device: str = Field(validation_alias="register", description="The register's factory number")
    shift: str
    amount: str
    cashier: str


@router.get("/infobases/{infobase}/receipts", response_model=list[ReceiptOut], responses=NOT_FOUND)
def receipts(
    device: str | None = None, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[dict[str, Any]]:
    """Receipts and returns received, oldest first; ``device`` = a factory number."""
    with context.transaction() as session:
        return receipt_rows(session, get_infobase(session, infobase), factory_number=device)


@router.get("/infobases/{infobase}/shifts", response_model=list[ShiftOut], responses=NOT_FOUND)
def shifts(
    device: str | None = None, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[dict[str, Any]]:
    with context.transaction() as session:
        return shift_rows(session, get_infobase(session, infobase), factory_number=device)


@router.get("/infobases/{infobase}/cash-operations", response_model=list[CashOperationOut], responses=NOT_FOUND)
def cash_operations(
    device: str | None = None, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[dict[str, Any]]:
    """Cash put into or taken out of registers."""
    with context.transaction() as session:
        return cash_operation_rows(session, get_infobase(session, infobase), factory_number=device)
