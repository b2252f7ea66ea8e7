"""Messages a 1С:Мобильная касса would send, built with the format library (server-side tests only)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

from kassa_server import enterprisedata as ed

PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
APP_VERSIONS = ["1.7", "1.8", "1.10", "1.16", "1.17", "1.19", "1.20", "1.21"]


def header(
    version: str | None,
    *,
    from_code: str,
    to_code: str | None,
    message_no: int | None,
    received_no: int | None,
    versions: list[str] | None = None,
) -> ed.Header:
    return ed.Header(
        format_version=version,
        creation_date=dt.datetime(2026, 11, 26, 12, 0, 0),
        exchange_plan=PLAN,
        from_code=from_code,
        to_code=to_code,
        message_no=message_no,
        received_no=received_no,
        available_versions=versions or APP_VERSIONS,
    )


def message(head: ed.Header, objects: list[object] = ()) -> io.BytesIO:  # type: ignore[assignment]
    out = io.BytesIO()
    ed.write_message(out, head, objects)  # type: ignore[arg-type]
    out.seek(0)
    return out


def register_key(register_ref: uuid.UUID, factory_number: str, org: ed.Organization) -> ed.CashRegister:
    return ed.CashRegister(ref=register_ref, name="Касса", organization=org, registration_number=factory_number)


def sale(
    register: ed.CashRegister,
    item: ed.Item,
    *,
    amount: str,
    card: bool = False,
    shift: str = "1",
    ref: uuid.UUID | None = None,
    order: ed.CustomerOrder | None = None,
) -> ed.Receipt:
    value = Decimal(amount)
    return ed.Receipt(
        ref=ref or uuid.uuid4(),
        date=dt.datetime(2026, 11, 26, 12, 5, 0),
        shift_number=shift,
        cash_register=register,
        number_in_app="1",
        receipt_number="1",
        operation=ed.CashOperationData(
            currency=ed.Currency(code="643", name="руб."), amount=value, cashier=ed.User(name="Иванова")
        ),
        sales=[
            ed.ReceiptGoodsRow(line_no=1, goods=ed.GoodsData(item=item), quantity=Decimal(1), amount=value, price=value)
        ],
        payments=[ed.PaymentRow(amount=value, payment_type=ed.PaymentType.ELECTRONIC if card else ed.PaymentType.CASH)],
        card_payments=[ed.CardPaymentRow(amount=value, card_number="2200****0001", rrn="123456789012")] if card else [],
        order=order,
    )


def refund(register: ed.CashRegister, item: ed.Item, base: ed.Receipt, *, amount: str) -> ed.Receipt:
    value = Decimal(amount)
    return ed.Receipt(
        ref=uuid.uuid4(),
        date=dt.datetime(2026, 11, 26, 12, 30, 0),
        shift_number="1",
        cash_register=register,
        is_return=True,
        operation=ed.CashOperationData(currency=ed.Currency(code="643", name="руб."), amount=value),
        returns=[
            ed.ReceiptReturnRow(
                line_no=1, goods=ed.GoodsData(item=item), quantity=Decimal(1), amount=value, price=value
            )
        ],
        payments=[ed.PaymentRow(amount=value, payment_type=ed.PaymentType.CASH)],
        base=ed.Receipt(ref=base.ref, date=base.date, shift_number=base.shift_number, cash_register=register),
    )


def shift_opening(register: ed.CashRegister, number: str = "1") -> ed.ShiftOpening:
    return ed.ShiftOpening(
        ref=uuid.uuid4(),
        date=dt.datetime(2026, 11, 26, 9, 0, 0),
        shift_number=number,
        cash_register=register,
        cashier=ed.User(name="Иванова"),
    )


def shift_closing(register: ed.CashRegister, amount: str, number: str = "1") -> ed.ShiftClosing:
    return ed.ShiftClosing(
        ref=uuid.uuid4(),
        date=dt.datetime(2026, 11, 26, 21, 0, 0),
        shift_number=number,
        cash_register=register,
        operation=ed.CashOperationData(currency=ed.Currency(code="643", name="руб."), amount=Decimal(amount)),
    )
