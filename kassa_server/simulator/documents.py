"""What the app uploads: receipts, shift openings and closings, order states, as plain JSON-friendly dataclasses.

References to other objects are kept as "key blocks": dicts of the target's key properties as the server sent them
(nested blocks as nested dicts). The writer emits them filtered and ordered per target type (objects.md §1.3).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "KeyBlock",
    "OrderState",
    "Receipt",
    "ReceiptLine",
    "ShiftClosing",
    "ShiftOpening",
    "UploadDocument",
    "Vat",
    "document_from_json",
    "document_to_json",
]

KeyBlock = dict[str, Any]


@dataclass(frozen=True)
class Vat:
    """A VAT rate in the object form of 1.17+ (objects.md §1.4); converted to the enum for ≤ 1.16."""

    rate: str | None  # "20", "10", "0"; None for БезНДС
    calculated: bool = False  # РасчетнаяСтавка (20/120)
    exempt: bool = False  # НеОблагается
    kind: str = "Общая"  # ВидСтавки

    def to_enum(self) -> str | None:
        """The ≤ 1.16 `СтавкиНДС` literal, or None when the rate has no enum value (5 %, 7 %, 22 %)."""
        if self.exempt:
            return "БезНДС"
        rate = _normalise_rate(self.rate)
        if rate in ("20", "18", "10", "4", "2"):
            return f"НДС{rate}_1{rate.zfill(2)}" if self.calculated else f"НДС{rate}"
        if rate == "0" and not self.calculated:
            return "НДС0"
        return None

    @classmethod
    def from_enum(cls, literal: str) -> Vat | None:
        if literal == "БезНДС":
            return cls(rate=None, exempt=True, kind="БезНДС")
        if literal == "НДС0":
            return cls(rate="0", kind="Нулевая")
        if not literal.startswith("НДС"):
            return None
        rate, _, calc = literal[3:].partition("_")
        if rate not in ("20", "18", "10", "4", "2"):
            return None
        general = rate in ("20", "18")
        kind = ("Общая" if general else "Пониженная") + ("Расчетная" if calc else "")
        return cls(rate=rate, calculated=bool(calc), kind=kind)

    def percent(self) -> Decimal:
        return Decimal(0) if self.exempt or self.rate is None else Decimal(self.rate)


def _normalise_rate(rate: str | None) -> str | None:
    if rate is None:
        return None
    value = Decimal(rate)
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


@dataclass
class ReceiptLine:
    item: KeyBlock  # Номенклатура key block
    quantity: Decimal
    price: Decimal
    amount: Decimal
    barcode: str | None = None
    vat: Vat | None = None
    characteristic: KeyBlock | None = None  # ХарактеристикиНоменклатуры key block (a size, a colour)

    def vat_amount(self) -> Decimal | None:
        if self.vat is None or self.vat.exempt or self.vat.rate is None:
            return None
        percent = self.vat.percent()
        return (self.amount * percent / (Decimal(100) + percent)).quantize(Decimal("0.01"))


@dataclass
class Receipt:
    """`Документ.ЧекККМ`: a sale, or a return (`ТоварыВозвратПродажи`, `Основание`, `ЭтоВозврат`)."""

    ref: str
    date: str  # YYYY-MM-DDThh:mm:ss, local, no zone
    shift_number: int
    register: KeyBlock  # КассыККМ key block
    number_in_app: int
    fiscal_number: int
    cashier: str
    lines: list[ReceiptLine]
    card_amount: Decimal = Decimal(0)
    is_return: bool = False
    order: KeyBlock | None = None  # ЗаказКлиента key block (1.10+)
    base: KeyBlock | None = None  # the sale receipt's key block, for a return (1.10+)
    terminal: KeyBlock | None = None  # the acquiring terminal of the card payment
    discount_card: KeyBlock | None = None  # КартаЛояльности (1.10+)
    kind: Literal["receipt"] = "receipt"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def cash_amount(self) -> Decimal:
        return self.total - self.card_amount

    def key_block(self) -> KeyBlock:
        """This receipt as a reference (`Основание` of a later return)."""
        return {
            "Ссылка": self.ref,
            "Дата": self.date,
            "НомерКассовойСмены": str(self.shift_number),
            "КассаККМ": self.register,
            "НомерВПрограмме": str(self.number_in_app),
            "НомерЧека": str(self.fiscal_number),
        }


@dataclass
class ShiftOpening:
    ref: str
    date: str
    shift_number: int
    register: KeyBlock
    number_in_app: int
    cashier: str
    kind: Literal["shift_opening"] = "shift_opening"


@dataclass
class ShiftClosing:
    ref: str
    date: str
    shift_number: int
    register: KeyBlock
    number_in_app: int
    cashier: str
    amount: Decimal  # takings of the shift (sales − returns)
    kind: Literal["shift_closing"] = "shift_closing"


@dataclass
class OrderState:
    """`Справочник.СостояниеЗаказа` sent back for an order the app completed (mobile-kassa.md §6 reverse direction)."""

    ref: str
    order: KeyBlock
    state: str  # СостоянияЗаказа literal, e.g. Выполнен
    state_text: str
    date: str  # dateTime; written as a date in 1.8
    kind: Literal["order_state"] = "order_state"


UploadDocument = Receipt | ShiftOpening | ShiftClosing | OrderState


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def document_to_json(document: UploadDocument) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(document), default=_json_default))


def document_from_json(data: dict[str, Any]) -> UploadDocument:
    kind = data["kind"]
    if kind == "receipt":
        lines = [
            ReceiptLine(
                item=line["item"],
                quantity=Decimal(line["quantity"]),
                price=Decimal(line["price"]),
                amount=Decimal(line["amount"]),
                barcode=line.get("barcode"),
                vat=Vat(**line["vat"]) if line.get("vat") else None,
                characteristic=line.get("characteristic"),
            )
            for line in data["lines"]
        ]
        fields = {k: v for k, v in data.items() if k not in ("lines", "card_amount", "kind")}
        return Receipt(lines=lines, card_amount=Decimal(data["card_amount"]), **fields)
    if kind == "shift_opening":
        return ShiftOpening(**{k: v for k, v in data.items() if k != "kind"})
    if kind == "shift_closing":
        fields = {k: v for k, v in data.items() if k not in ("kind", "amount")}
        return ShiftClosing(amount=Decimal(data["amount"]), **fields)
    if kind == "order_state":
        return OrderState(**{k: v for k, v in data.items() if k != "kind"})
    raise ValueError(f"unknown document kind {kind!r}")
