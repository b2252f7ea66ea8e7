"""Reads the server's EnterpriseData messages: the header, and the objects the app keeps; everything else is skipped.

Tolerant by design (enterprisedata.md §1: unknown types are read and skipped): only local names are looked at, so any
format version and any extension namespace reads the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from .documents import KeyBlock, Vat
from .versions import version_of_format
from .xmlsafe import iterparse_safely

__all__ = [
    "CatalogItem",
    "Deletion",
    "IncomingHeader",
    "IncomingMessage",
    "MessageFormatError",
    "Order",
    "OrderLine",
    "PriceRecord",
    "read_message",
]


class MessageFormatError(ValueError):
    """The file is not an EnterpriseData exchange message."""


@dataclass(frozen=True)
class IncomingHeader:
    format: str
    version: str | None  # None for a settings-only message
    exchange_plan: str | None
    recipient: str | None  # To
    sender: str | None  # From
    message_no: int | None
    received_no: int | None
    available_versions: tuple[str, ...]


@dataclass
class CatalogItem:
    ref: str
    key: KeyBlock
    item_type: str | None
    vat: Vat | None


@dataclass
class PriceRecord:
    item_ref: str
    price: Decimal
    price_type: str | None


@dataclass
class OrderLine:
    item: KeyBlock
    quantity: Decimal
    price: Decimal
    amount: Decimal
    vat: Vat | None


@dataclass
class Order:
    ref: str
    key: KeyBlock  # Ссылка, Дата, Номер, Организация …
    amount: Decimal | None
    lines: list[OrderLine]


@dataclass
class StockRecord:
    """A row of the informative stock snapshot (``Справочник.ИнформативныеОстатки``)."""

    item_ref: str
    characteristic_ref: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Deletion:
    ref_type: str  # e.g. НоменклатураСсылка
    ref: str


@dataclass
class IncomingMessage:
    header: IncomingHeader
    has_body: bool
    organisations: list[KeyBlock] = field(default_factory=list)
    registers: list[KeyBlock] = field(default_factory=list)
    items: list[CatalogItem] = field(default_factory=list)
    barcodes: list[tuple[str, str]] = field(default_factory=list)  # (barcode, item ref)
    prices: list[PriceRecord] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    order_states: list[tuple[str, str]] = field(default_factory=list)  # (order ref, СостоянияЗаказа literal)
    deletions: list[Deletion] = field(default_factory=list)
    terminals: list[KeyBlock] = field(default_factory=list)  # ЭквайринговыеТерминалы key blocks (+ Наименование)
    discount_cards: list[KeyBlock] = field(default_factory=list)  # ДисконтныеКарты key blocks
    characteristics: list[tuple[str, KeyBlock]] = field(default_factory=list)  # (owner item ref, key block)
    stock: list[StockRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def object_count(self) -> int:
        return (
            len(self.organisations)
            + len(self.registers)
            + len(self.items)
            + len(self.barcodes)
            + len(self.prices)
            + len(self.orders)
            + len(self.order_states)
            + len(self.deletions)
            + len(self.terminals)
            + len(self.discount_cards)
            + len(self.characteristics)
            + (1 if self.stock else 0)
            + sum(self.skipped.values())
        )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str) and _local(child) == name:
            return child
    return None


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _text(element: etree._Element | None, name: str) -> str | None:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text is not None else None


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def block(element: etree._Element) -> KeyBlock:
    """A reference or key block as a nested dict of local names (repeated names keep the first)."""
    result: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if name in result:
            continue
        if len(child):
            result[name] = block(child)
        else:
            result[name] = (child.text or "").strip()
    return result


def _vat(element: etree._Element | None) -> Vat | None:
    if element is None:
        return None
    if len(element):
        return Vat(
            rate=_text(element, "Ставка"),
            calculated=_text(element, "РасчетнаяСтавка") == "true",
            exempt=_text(element, "НеОблагается") == "true",
            kind=_text(element, "ВидСтавки") or "Общая",
        )
    return Vat.from_enum((element.text or "").strip())


def _item_block(goods_data: etree._Element | None) -> KeyBlock | None:
    """The Номенклатура key block inside ДанныеНоменклатуры (1.7) or its extra level (1.8+ barcodes)."""
    item = _child(goods_data, "Номенклатура")
    while item is not None and _child(item, "Ссылка") is None and _child(item, "Номенклатура") is not None:
        item = _child(item, "Номенклатура")
    return block(item) if item is not None else None


def _read_header(header: etree._Element) -> IncomingHeader:
    format_uri = _text(header, "Format")
    if not format_uri:
        raise MessageFormatError("msg:Header has no Format")
    confirmation = _child(header, "Confirmation")
    return IncomingHeader(
        format=format_uri,
        version=version_of_format(format_uri),
        exchange_plan=_text(confirmation, "ExchangePlan"),
        recipient=_text(confirmation, "To"),
        sender=_text(confirmation, "From"),
        message_no=_int(_text(confirmation, "MessageNo")),
        received_no=_int(_text(confirmation, "ReceivedNo")),
        available_versions=tuple(
            (v.text or "").strip() for v in _children(header, "AvailableVersion") if (v.text or "").strip()
        ),
    )


def _read_order(element: etree._Element) -> Order | None:
    key_element = _child(element, "КлючевыеСвойства")
    if key_element is None:
        return None
    key = block(key_element)
    ref = key.get("Ссылка")
    if not isinstance(ref, str) or not ref:
        return None
    lines: list[OrderLine] = []
    for section, item_path in (("Товары", "ДанныеНоменклатуры"), ("Услуги", None)):
        for row in _children(_child(element, section), "Строка"):
            item: KeyBlock | None
            if item_path is not None or _child(row, "ДанныеНоменклатуры") is not None:
                item = _item_block(_child(row, "ДанныеНоменклатуры"))
            else:
                direct = _child(row, "Номенклатура")
                item = block(direct) if direct is not None else None
            quantity = _decimal(_text(row, "Количество")) or Decimal(1)
            amount = _decimal(_text(row, "Сумма"))
            price = _decimal(_text(row, "Цена"))
            if item is None or (amount is None and price is None):
                continue
            price = price if price is not None else (amount or Decimal(0)) / quantity
            amount = amount if amount is not None else price * quantity
            lines.append(OrderLine(item, quantity, price, amount, _vat(_child(row, "СтавкаНДС"))))
    return Order(ref=ref, key=key, amount=_decimal(_text(element, "Сумма")), lines=lines)


def _read_object(message: IncomingMessage, element: etree._Element) -> None:
    name = _local(element)
    key_element = _child(element, "КлючевыеСвойства")
    if name == "Справочник.Организации" and key_element is not None:
        message.organisations.append(block(key_element))
    elif name == "Справочник.КассыККМ" and key_element is not None:
        message.registers.append(block(key_element))
    elif name == "Справочник.Номенклатура" and key_element is not None:
        key = block(key_element)
        ref = key.get("Ссылка")
        if isinstance(ref, str) and ref:
            vat = _vat(_child(element, "СтавкаНДС"))
            message.items.append(CatalogItem(ref, key, _text(element, "ТипНоменклатуры"), vat))
    elif name == "Справочник.ШтрихкодыНоменклатуры":
        barcode = _text(element, "Штрихкод")
        for row in _children(_child(element, "Записи"), "Строка"):
            item = _item_block(_child(row, "ДанныеНоменклатуры"))
            if barcode and item and isinstance(item.get("Ссылка"), str):
                message.barcodes.append((barcode, item["Ссылка"]))
    elif name == "Документ.УстановкаЦенНоменклатуры":
        price_type_element = _child(element, "ТипЦен")
        price_type = _text(price_type_element, "Ссылка") if price_type_element is not None else None
        for row in _children(_child(element, "Товары"), "Строка"):
            item = _item_block(_child(row, "ДанныеНоменклатуры"))
            price = _decimal(_text(row, "Цена"))
            if item and isinstance(item.get("Ссылка"), str) and price is not None:
                message.prices.append(PriceRecord(item["Ссылка"], price, price_type))
    elif name == "Документ.ЗаказКлиента":
        order = _read_order(element)
        if order is not None:
            message.orders.append(order)
    elif name == "Справочник.СостояниеЗаказа" and key_element is not None:
        order_ref = _text(_child(key_element, "Заказ"), "Ссылка")
        state = _text(element, "СостояниеЗаказа")
        if order_ref and state:
            message.order_states.append((order_ref, state))
    elif name == "Справочник.ЭквайринговыеТерминалы" and key_element is not None:
        terminal = block(key_element)
        if _text(element, "Наименование"):
            terminal["Наименование"] = _text(element, "Наименование")
        message.terminals.append(terminal)
    elif name == "Справочник.ДисконтныеКарты" and key_element is not None:
        card = block(key_element)
        card["Статус"] = _text(element, "Статус") or "Действует"
        message.discount_cards.append(card)
    elif name == "Справочник.ХарактеристикиНоменклатуры" and key_element is not None:
        variant = block(key_element)
        owner = variant.get("ВладелецХарактеристики")
        item = owner.get("Номенклатура") if isinstance(owner, dict) else None
        if isinstance(item, dict) and isinstance(item.get("Ссылка"), str):
            message.characteristics.append((item["Ссылка"], variant))  # kind-owned ones: not used by the till
    elif name == "Справочник.ИнформативныеОстатки":
        for row in _children(_child(element, "Товары"), "Строка"):
            goods_data = _child(row, "ДанныеНоменклатуры")
            item = _item_block(goods_data)
            variant_ref = _text(_child(goods_data, "Характеристика"), "Ссылка")
            quantity = _decimal(_text(row, "КоличествоНаСкладе"))
            if item and isinstance(item.get("Ссылка"), str) and quantity is not None:
                message.stock.append(StockRecord(item["Ссылка"], variant_ref, quantity))
    elif name == "УдалениеОбъекта":
        choice = _child(_child(element, "СсылкаНаОбъект"), "СсылкаНаОбъект")
        for ref_element in choice if choice is not None else []:
            if isinstance(ref_element.tag, str) and ref_element.text:
                message.deletions.append(Deletion(_local(ref_element), ref_element.text.strip()))
    else:
        message.skipped[name] += 1


_KNOWN_OBJECTS = (
    "Справочник.Организации",
    "Справочник.КассыККМ",
    "Справочник.Номенклатура",
    "Справочник.ШтрихкодыНоменклатуры",
    "Документ.УстановкаЦенНоменклатуры",
    "Документ.ЗаказКлиента",
    "Справочник.СостояниеЗаказа",
    "Справочник.ЭквайринговыеТерминалы",
    "Справочник.ДисконтныеКарты",
    "Справочник.ХарактеристикиНоменклатуры",
    "Справочник.ИнформативныеОстатки",
    "УдалениеОбъекта",
)
# lxml matches these in C, so the millions of leaf elements of a big catalogue never reach Python.
_STREAMED_TAGS = ("{*}Header", "{*}Body", *(f"{{*}}{name}" for name in _KNOWN_OBJECTS))


def _root_name(data: bytes) -> str | None:
    for element in iterparse_safely(data, tags=None, event="start"):
        return _local(element)
    return None


def read_message(data: bytes) -> IncomingMessage:
    """Parse a message file (BOM or not) safely and pick out what the app keeps.

    Streams: each Body child is handled and freed as soon as it ends, so a first download of 100k goods never sits
    in memory as one tree."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    message: IncomingMessage | None = None
    last: etree._Element | None = None

    def skip_unknown(elements: list[etree._Element]) -> None:
        assert message is not None
        for sibling in elements:
            if sibling is not last and isinstance(sibling.tag, str):
                message.skipped[_local(sibling)] += 1

    try:
        for element in iterparse_safely(data, tags=_STREAMED_TAGS):
            parent = element.getparent()
            name = _local(element)
            if name == "Header" and parent is not None and parent.getparent() is None:
                if _local(parent) != "Message":
                    raise MessageFormatError(f"root element is {_local(parent)!r}, not Message")
                message = IncomingMessage(header=_read_header(element), has_body=False)
                element.clear()
            elif name == "Body" and parent is not None and parent.getparent() is None:
                if message is None:
                    raise MessageFormatError("the message has no msg:Header")
                message.has_body = True
                skip_unknown(list(element))
                element.clear()
            elif parent is not None and _local(parent) == "Body" and message is not None:
                skip_unknown(list(element.itersiblings(preceding=True)))
                while parent[0] is not element:
                    del parent[0]
                _read_object(message, element)
                element.clear()
                last = element
    except etree.XMLSyntaxError as exc:
        raise MessageFormatError(f"not well-formed XML: {exc}") from exc
    if message is None:
        root = _root_name(data)
        if root is not None and root != "Message":
            raise MessageFormatError(f"root element is {root!r}, not Message")
    if message is None:
        raise MessageFormatError("the message has no msg:Header")
    return message
