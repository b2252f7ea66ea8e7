"""Writes the app's EnterpriseData messages: `msg:Header` + `Body` with the documents in schema order.

Element order follows objects.md §5.3, §5.4 and §4.15 for every version in `SUPPORTED_VERSIONS`; optional elements
without a value are omitted and nothing outside the declared version is written (enterprisedata.md §10).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from .documents import KeyBlock, OrderState, Receipt, ReceiptLine, ShiftClosing, ShiftOpening, UploadDocument, Vat
from .versions import SUPPORTED_VERSIONS, at_least, format_namespace

__all__ = ["MSG_NS", "OutgoingHeader", "write_message"]

MSG_NS = "http://www.1c.ru/SSL/Exchange/Message"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
BOM = b"\xef\xbb\xbf"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Key properties the app repeats when it refers to an object, in each key type's schema order (objects.md §4).
_KEY_FIELDS: dict[str, list[tuple[str, str | None]]] = {
    "organisation": [
        ("Ссылка", None),
        ("Наименование", None),
        ("НаименованиеСокращенное", None),
        ("НаименованиеПолное", None),
        ("ИНН", None),
        ("КПП", None),
        ("ЮридическоеФизическоеЛицо", None),
    ],
    "warehouse": [("Ссылка", None), ("Наименование", None)],
    "register": [
        ("Ссылка", None),
        ("Наименование", None),
        ("Организация", "organisation"),
        ("РегистрационныйНомер", None),
        ("Склад", "warehouse"),
    ],
    "item": [
        ("Ссылка", None),
        ("НаименованиеПолное", None),
        ("КодВПрограмме", None),
        ("Артикул", None),
        ("Наименование", None),
    ],
    "order": [("Ссылка", None), ("Дата", None), ("Номер", None), ("Организация", "organisation")],
    "item_kind": [("Ссылка", None), ("Наименование", None), ("ТипНоменклатуры", None)],
    "characteristic_owner": [("Номенклатура", "item"), ("ВидНоменклатуры", "item_kind")],
    "characteristic": [
        ("Ссылка", None),
        ("ВладелецХарактеристики", "characteristic_owner"),
        ("НаименованиеПолное", None),
    ],
    "terminal": [("Ссылка", None), ("Номер", None)],
    "discount_card": [("Ссылка", None), ("НомерКарты", None)],  # ВладелецКарты is optional from 1.10
}


@dataclass(frozen=True)
class OutgoingHeader:
    """`msg:Header` variant 1 (enterprisedata.md §3.1): numbered, with the sender's versions."""

    version: str
    exchange_plan: str
    sender: str  # Confirmation/From: our node code (the factory number)
    recipient: str | None  # Confirmation/To: the server's own node code, once known
    message_no: int
    received_no: int
    available_versions: Sequence[str] = SUPPORTED_VERSIONS
    created: datetime | None = None


class _Builder:
    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = format_namespace(version)

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            element.text = text
        return element

    def block(self, parent: etree._Element, name: str, data: KeyBlock, kind: str) -> etree._Element:
        element = self.add(parent, name)
        for field, sub_kind in _KEY_FIELDS[kind]:
            value = data.get(field)
            if value is None or value == "":
                continue
            if sub_kind is None:
                self.add(element, field, str(value))
            elif isinstance(value, dict):
                self.block(element, field, value, sub_kind)
        return element

    def since(self, minimum: str) -> bool:
        return at_least(self.version, minimum)

    # -- shared pieces ------------------------------------------------------------------------------------------

    def cash_shift_key(self, parent: etree._Element, doc: ShiftOpening | ShiftClosing | Receipt) -> etree._Element:
        key = self.add(parent, "КлючевыеСвойства")
        self.add(key, "Ссылка", doc.ref)
        self.add(key, "Дата", doc.date)
        self.add(key, "НомерКассовойСмены", str(doc.shift_number))
        self.block(key, "КассаККМ", doc.register, "register")
        self.add(key, "НомерВПрограмме", str(doc.number_in_app))
        return key

    def receipt_number_tag(self) -> str:
        return "НомерЧекаККМ" if self.since("1.17") else "НомерЧекаФР"

    def operation_data(self, parent: etree._Element, amount: Decimal, cashier: str) -> None:
        data = self.add(parent, "ДанныеОперацииККМ")
        currency = self.add(self.add(data, "Валюта"), "ДанныеКлассификатора")
        self.add(currency, "Код", "643")
        self.add(currency, "Наименование", "руб.")
        self.add(data, "Сумма", money(amount))
        if cashier:
            self.add(self.add(data, "Кассир"), "Наименование", cashier)

    def vat(self, parent: etree._Element, vat: Vat) -> bool:
        if not self.since("1.17"):
            literal = vat.to_enum()
            if literal is None:
                return False
            self.add(parent, "СтавкаНДС", literal)
            return True
        element = self.add(parent, "СтавкаНДС")
        if vat.rate is not None and not vat.exempt:
            self.add(element, "Ставка", decimal_text(Decimal(vat.rate)))
        self.add(element, "РасчетнаяСтавка", boolean(vat.calculated))
        self.add(element, "НеОблагается", boolean(vat.exempt))
        self.add(element, "ВидСтавки", vat.kind)
        return True

    # -- documents ----------------------------------------------------------------------------------------------

    def receipt(self, body: etree._Element, doc: Receipt) -> None:
        root = self.add(body, "Документ.ЧекККМ")
        key = self.cash_shift_key(root, doc)
        self.add(key, self.receipt_number_tag(), str(doc.fiscal_number))
        if self.since("1.16"):
            self.add(key, "ЕстьДвижениеНаличных", boolean(doc.cash_amount > 0))
            self.add(key, "ЕстьДвижениеБезналичных", boolean(doc.card_amount > 0))
            self.add(key, "ЕстьДвижениеТоваров", boolean(bool(doc.lines)))
            self.add(key, "ЭтоВозврат", boolean(doc.is_return))
        self.operation_data(root, doc.total, doc.cashier)
        goods = self.add(root, "ТоварыВозвратПродажи" if doc.is_return else "ТоварыПродажа")
        for number, line in enumerate(doc.lines, start=1):
            self.receipt_line(goods, number, line)
        if doc.card_amount > 0 and doc.terminal:  # the card payment's detail: which terminal took it
            row = self.add(self.add(root, "ОплатаПлатежнымиКартами"), "Строка")
            self.add(row, "СуммаОплаты", money(doc.card_amount))
            self.add(row, "НомерКарты", "2200********0001")  # required up to 1.10
            self.block(row, "ЭквайринговыйТерминал", doc.terminal, "terminal")
        payments = self.add(root, "ОплатыККМ")
        for amount, payment_type in ((doc.cash_amount, "Наличные"), (doc.card_amount, "Электронно")):
            if amount > 0:
                row = self.add(payments, "Строка")
                self.add(row, "Сумма", money(amount))
                self.add(row, "ТипОплаты", payment_type)
        self.add(root, "ПризнакСпособаРасчета", "ПередачаСПолнойОплатой")
        if self.since("1.10"):
            if doc.order:
                self.block(root, "ЗаказКлиента", doc.order, "order")
            if doc.base:
                self.receipt_reference(root, "Основание", doc.base)
            if doc.discount_card:
                self.block(root, "КартаЛояльности", doc.discount_card, "discount_card")

    def receipt_line(self, goods: etree._Element, number: int, line: ReceiptLine) -> None:
        row = self.add(goods, "Строка")
        self.add(row, "НомерСтрокиДокумента", str(number))
        item_data = self.add(row, "ДанныеНоменклатуры")
        self.block(item_data, "Номенклатура", line.item, "item")
        if line.characteristic:
            self.block(item_data, "Характеристика", line.characteristic, "characteristic")
        if line.barcode:
            self.add(item_data, "Штрихкод", line.barcode)
        self.add(row, "Количество", decimal_text(line.quantity))
        self.add(row, "Сумма", money(line.amount))
        self.add(row, "Цена", money(line.price))
        if line.vat is not None and self.vat(row, line.vat):
            vat_amount = line.vat_amount()
            if vat_amount is not None:
                self.add(row, "СуммаНДС", money(vat_amount))

    def receipt_reference(self, parent: etree._Element, name: str, key: KeyBlock) -> None:
        element = self.add(parent, name)
        self.add(element, "Ссылка", key["Ссылка"])
        self.add(element, "Дата", key["Дата"])
        self.add(element, "НомерКассовойСмены", key["НомерКассовойСмены"])
        self.block(element, "КассаККМ", key["КассаККМ"], "register")
        if key.get("НомерВПрограмме"):
            self.add(element, "НомерВПрограмме", key["НомерВПрограмме"])
        if key.get("НомерЧека"):
            self.add(element, self.receipt_number_tag(), key["НомерЧека"])

    def shift_opening(self, body: etree._Element, doc: ShiftOpening) -> None:
        root = self.add(body, "Документ.ОткрытиеКассовойСмены")
        self.cash_shift_key(root, doc)
        if doc.cashier:
            self.add(self.add(root, "Кассир"), "Наименование", doc.cashier)

    def shift_closing(self, body: etree._Element, doc: ShiftClosing) -> None:
        root = self.add(body, "Документ.ЗакрытиеКассовойСмены")
        self.cash_shift_key(root, doc)
        self.operation_data(root, doc.amount, doc.cashier)

    def order_state(self, body: etree._Element, doc: OrderState) -> None:
        root = self.add(body, "Справочник.СостояниеЗаказа")
        key = self.add(root, "КлючевыеСвойства")
        if self.since("1.17"):
            self.add(key, "Ссылка", doc.ref)
            self.block(key, "Заказ", doc.order, "order")
        else:
            self.block(key, "Заказ", doc.order, "order")
            self.add(key, "Ссылка", doc.ref)
        self.add(root, "ДатаСостояния", doc.date if self.since("1.10") else doc.date[:10])
        self.add(root, "СостояниеЗаказа", doc.state)
        if doc.state_text:
            self.add(root, "СостояниеЗаказаСтрокой", doc.state_text[:100])

    def document(self, body: etree._Element, doc: UploadDocument) -> None:
        if isinstance(doc, Receipt):
            self.receipt(body, doc)
        elif isinstance(doc, ShiftOpening):
            self.shift_opening(body, doc)
        elif isinstance(doc, ShiftClosing):
            self.shift_closing(body, doc)
        elif isinstance(doc, OrderState):
            self.order_state(body, doc)
        else:  # pragma: no cover - exhaustive
            raise TypeError(type(doc))


def money(value: Decimal) -> str:
    return decimal_text(value.quantize(Decimal("0.01")))


def decimal_text(value: Decimal) -> str:
    """`.` separator, no exponent, trailing zeros dropped (enterprisedata.md §10)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def boolean(value: bool) -> str:
    return "true" if value else "false"


def write_header(root: etree._Element, header: OutgoingHeader) -> None:
    def add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{MSG_NS}}}{name}")
        if text is not None:
            element.text = text
        return element

    created = header.created or datetime.now(UTC)
    element = add(root, "Header")
    add(element, "Format", format_namespace(header.version))
    add(element, "CreationDate", created.strftime("%Y-%m-%dT%H:%M:%S"))
    confirmation = add(element, "Confirmation")
    add(confirmation, "ExchangePlan", header.exchange_plan)
    if header.recipient:
        add(confirmation, "To", header.recipient)
    add(confirmation, "From", header.sender)
    add(confirmation, "MessageNo", str(header.message_no))
    add(confirmation, "ReceivedNo", str(header.received_no))
    for version in header.available_versions:
        add(element, "AvailableVersion", version)


def build_message(header: OutgoingHeader, documents: Sequence[UploadDocument]) -> etree._Element:
    if header.version not in SUPPORTED_VERSIONS:
        raise ValueError(f"the simulator cannot write EnterpriseData {header.version}")
    root = etree.Element("Message", nsmap={"msg": MSG_NS, "xs": XS_NS, "xsi": XSI_NS})
    write_header(root, header)
    builder = _Builder(header.version)
    body = etree.SubElement(root, f"{{{builder.ns}}}Body", nsmap={None: builder.ns})
    for document in documents:
        builder.document(body, document)
    return root


def write_message(header: OutgoingHeader, documents: Sequence[UploadDocument], *, bom: bool = True) -> bytes:
    """The message file: UTF-8 with an XML declaration (and a BOM by default, enterprisedata.md §1)."""
    data = XML_DECLARATION + etree.tostring(build_message(header, documents), encoding="UTF-8")
    return BOM + data if bom else data
