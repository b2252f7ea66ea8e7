from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from kassa_server.simulator.documents import Vat
from kassa_server.simulator.versions import SUPPORTED_VERSIONS, format_namespace
from kassa_server.simulator.writer import MSG_NS, OutgoingHeader, decimal_text, write_message

from . import factories

Schema = Callable[[str], etree.XMLSchema]


def _documents() -> list:
    sale = factories.sale(card=False, number=1)
    return [
        factories.opening(),
        sale,
        factories.sale(card=True, number=2),
        factories.refund(sale),
        factories.order_payment(),
        factories.order_done(),
        factories.closing(),
    ]


def _message(version: str, documents: list | None = None) -> etree._Element:
    header = OutgoingHeader(version, "СинхронизацияДанныхЧерезУниверсальныйФормат", "0000000001012345", "srv", 7, 3)
    data = write_message(header, _documents() if documents is None else documents)
    assert data.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>')
    return etree.fromstring(data[3:])


def _names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_written_object_validates_against_its_version(version: str, schema_for: Schema) -> None:
    root = _message(version)
    header, body = root[0], root[1]
    schema_for("header").assertValid(header)
    assert etree.QName(body).namespace == format_namespace(version)
    assert len(body) == 7
    for element in body:
        schema_for(version).assertValid(element)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_an_empty_body_message_validates(version: str, schema_for: Schema) -> None:
    root = _message(version, [])
    schema_for("header").assertValid(root[0])
    assert _names(root) == ["Header", "Body"] and len(root[1]) == 0


def test_header_layout_and_numbering() -> None:
    header = _message("1.21")[0]
    assert etree.QName(header).namespace == MSG_NS
    assert _names(header)[:3] == ["Format", "CreationDate", "Confirmation"]
    confirmation = header[2]
    assert [(etree.QName(c).localname, c.text) for c in confirmation] == [
        ("ExchangePlan", "СинхронизацияДанныхЧерезУниверсальныйФормат"),
        ("To", "srv"),
        ("From", "0000000001012345"),
        ("MessageNo", "7"),
        ("ReceivedNo", "3"),
    ]
    assert [v.text for v in header[3:]] == list(SUPPORTED_VERSIONS)


def test_receipt_1_8_uses_vat_enum_and_fiscal_number_without_key_flags() -> None:
    body = _message("1.8")[1]
    receipt = body[1]
    key = receipt[0]
    assert _names(key) == ["Ссылка", "Дата", "НомерКассовойСмены", "КассаККМ", "НомерВПрограмме", "НомерЧекаФР"]
    assert _names(key[3]) == ["Ссылка", "Наименование", "Организация", "РегистрационныйНомер", "Склад"]
    assert _names(key[3][2]) == ["Ссылка", "Наименование", "ИНН", "КПП", "ЮридическоеФизическоеЛицо"]
    assert _names(receipt) == [
        "КлючевыеСвойства",
        "ДанныеОперацииККМ",
        "ТоварыПродажа",
        "ОплатыККМ",
        "ПризнакСпособаРасчета",
    ]
    first_line = receipt[2][0]
    assert first_line.find(f"{{{format_namespace('1.8')}}}СтавкаНДС").text == "НДС20"
    payments = receipt[3]
    assert [(p[0].text, p[1].text) for p in payments] == [("789.9", "Наличные")]
    # 1.8 has no ЗаказКлиента nor Основание on receipts: the order payment and the return carry neither
    assert "ЗаказКлиента" not in _names(body[4]) and "Основание" not in _names(body[3])


def test_receipt_1_21_uses_vat_object_key_flags_order_and_base() -> None:
    body = _message("1.21")[1]
    card_sale, refund, paid_order = body[2], body[3], body[4]
    assert _names(card_sale[0])[-6:] == [
        "НомерВПрограмме",
        "НомерЧекаККМ",
        "ЕстьДвижениеНаличных",
        "ЕстьДвижениеБезналичных",
        "ЕстьДвижениеТоваров",
        "ЭтоВозврат",
    ]
    assert [e.text for e in card_sale[0][-4:]] == ["false", "true", "true", "false"]
    assert _names(card_sale[2][0][5]) == ["Ставка", "РасчетнаяСтавка", "НеОблагается", "ВидСтавки"]
    assert _names(refund) == [
        "КлючевыеСвойства",
        "ДанныеОперацииККМ",
        "ТоварыВозвратПродажи",
        "ОплатыККМ",
        "ПризнакСпособаРасчета",
        "Основание",
    ]
    assert refund[0][-1].text == "true"  # ЭтоВозврат
    assert refund[-1][0].text == factories.sale(card=False, number=1).ref
    assert _names(paid_order)[-1] == "ЗаказКлиента"
    assert [(p[0].text, p[1].text) for p in paid_order[3]] == [("250", "Наличные"), ("100", "Электронно")]


def test_order_state_key_order_changes_in_1_17_and_date_in_1_10() -> None:
    state_1_8 = _message("1.8")[1][5]
    state_1_16 = _message("1.16")[1][5]
    state_1_21 = _message("1.21")[1][5]
    assert _names(state_1_8[0]) == ["Заказ", "Ссылка"]
    assert _names(state_1_16[0]) == ["Заказ", "Ссылка"]
    assert _names(state_1_21[0]) == ["Ссылка", "Заказ"]
    assert state_1_8[1].text == "2025-03-01"
    assert state_1_21[1].text == "2025-03-01T18:30:00"
    assert _names(state_1_21) == ["КлючевыеСвойства", "ДатаСостояния", "СостояниеЗаказа", "СостояниеЗаказаСтрокой"]


def test_shift_documents() -> None:
    body = _message("1.17")[1]
    opening, closing = body[0], body[6]
    assert etree.QName(opening).localname == "Документ.ОткрытиеКассовойСмены"
    assert _names(opening) == ["КлючевыеСвойства", "Кассир"]
    assert _names(closing) == ["КлючевыеСвойства", "ДанныеОперацииККМ"]
    assert closing[1][1].text == "1579.8"


def test_rate_without_enum_is_omitted_before_1_17() -> None:
    receipt = factories.sale(card=False)
    receipt.lines[0].vat = Vat(rate="5", kind="Пониженная")
    line_1_16 = _message("1.16", [receipt])[1][0][2][0]
    line_1_17 = _message("1.17", [receipt])[1][0][2][0]
    assert "СтавкаНДС" not in _names(line_1_16) and "СуммаНДС" not in _names(line_1_16)
    assert "СтавкаНДС" in _names(line_1_17)


@pytest.mark.parametrize(
    ("literal", "rate", "calculated", "exempt", "kind"),
    [
        ("НДС20", "20", False, False, "Общая"),
        ("НДС20_120", "20", True, False, "ОбщаяРасчетная"),
        ("НДС10", "10", False, False, "Пониженная"),
        ("НДС10_110", "10", True, False, "ПониженнаяРасчетная"),
        ("НДС0", "0", False, False, "Нулевая"),
        ("БезНДС", None, False, True, "БезНДС"),
    ],
)
def test_vat_enum_object_round_trip(literal: str, rate: str | None, calculated: bool, exempt: bool, kind: str) -> None:
    vat = Vat.from_enum(literal)
    assert vat == Vat(rate, calculated, exempt, kind)
    assert vat.to_enum() == literal


def test_decimal_text() -> None:
    assert decimal_text(Decimal("700.00")) == "700"
    assert decimal_text(Decimal("116.670")) == "116.67"
    assert decimal_text(Decimal("1E+3")) == "1000"
    assert decimal_text(Decimal("0.00")) == "0"
