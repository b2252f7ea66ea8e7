"""Documents as a device would build them from a downloaded catalogue (shared by the writer and device tests)."""

from __future__ import annotations

from decimal import Decimal

from kassa_server.simulator.documents import OrderState, Receipt, ReceiptLine, ShiftClosing, ShiftOpening, Vat

ORGANISATION = {
    "Ссылка": "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "Наименование": 'ООО "Ромашка"',
    "ИНН": "7701234567",
    "КПП": "770101001",
    "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо",
    "GLN": "4600000000000",  # a key property the simulator does not repeat
}
REGISTER = {
    "Ссылка": "0c4e5f60-7182-4a93-b4c5-d6e7f8091a2b",
    "Наименование": "Мобильная касса 1",
    "Организация": ORGANISATION,
    "РегистрационныйНомер": "0000000001012345",
    "Склад": {"Ссылка": "1c4e5f60-7182-4a93-b4c5-d6e7f8091a2b", "Наименование": "Магазин", "ТипСклада": "Розничный"},
}
COFFEE = {
    "Ссылка": "6f0c1a60-3b7d-41ef-9a1c-0242ac120002",
    "КодВПрограмме": "00-00000001",
    "Артикул": "A-100",
    "Наименование": "Кофе зерновой 250 г",
    "Группа": {"Ссылка": "6f0c1a61-3b7d-41ef-9a1c-0242ac120002", "Наименование": "Кофе"},
}
MILK = {"Ссылка": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "Наименование": "Молоко 3,2% 1 л"}
ORDER = {
    "Ссылка": "aa8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    "Дата": "2025-03-01T10:00:00",
    "Номер": "КС-0001",
    "Организация": ORGANISATION,
}


def sale(*, card: bool, number: int = 1) -> Receipt:
    lines = [
        ReceiptLine(COFFEE, Decimal(2), Decimal(350), Decimal(700), vat=Vat("20")),
        ReceiptLine(
            MILK, Decimal(1), Decimal("89.90"), Decimal("89.90"), barcode="4600000000024", vat=Vat.from_enum("НДС10")
        ),
    ]
    receipt = Receipt(
        ref=f"7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e{number:02d}",
        date="2025-03-01T18:12:45",
        shift_number=58,
        register=REGISTER,
        number_in_app=1200 + number,
        fiscal_number=15 + number,
        cashier="Петров П.П.",
        lines=lines,
    )
    if card:
        receipt.card_amount = receipt.total
    return receipt


def refund(of: Receipt) -> Receipt:
    return Receipt(
        ref="8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        date="2025-03-01T18:20:00",
        shift_number=58,
        register=REGISTER,
        number_in_app=1300,
        fiscal_number=40,
        cashier="Петров П.П.",
        lines=of.lines,
        card_amount=of.card_amount,
        is_return=True,
        base=of.key_block(),
    )


def order_payment() -> Receipt:
    return Receipt(
        ref="9c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        date="2025-03-01T18:30:00",
        shift_number=58,
        register=REGISTER,
        number_in_app=1301,
        fiscal_number=41,
        cashier="Петров П.П.",
        lines=[
            ReceiptLine(COFFEE, Decimal(1), Decimal(350), Decimal(350), vat=Vat(rate=None, exempt=True, kind="БезНДС"))
        ],
        card_amount=Decimal(100),
        order=ORDER,
    )


def opening() -> ShiftOpening:
    return ShiftOpening(
        "1a1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "2025-03-01T09:00:00", 58, REGISTER, 1199, "Петров П.П."
    )


def closing() -> ShiftClosing:
    return ShiftClosing(
        "2a1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "2025-03-01T21:00:00",
        58,
        REGISTER,
        1400,
        "Петров П.П.",
        Decimal("1579.8"),
    )


def order_done() -> OrderState:
    return OrderState("3a1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", ORDER, "Выполнен", "Выполнен", "2025-03-01T18:30:00")
