from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from kassa_server.simulator.documents import Vat
from kassa_server.simulator.reader import Deletion, MessageFormatError, read_message
from kassa_server.simulator.xmlsafe import UnsafeXmlError

from . import server_messages as sm

FACTORY = "0000000001012345"


@pytest.mark.parametrize("version", ["1.8", "1.21"])
def test_test_data_is_valid_enterprisedata(version: str, schema_for: Callable[[str], etree.XMLSchema]) -> None:
    root = etree.fromstring(sm.message(version, sm.objects(version, FACTORY))[3:])
    schema_for("header").assertValid(root[0])
    for element in root[1]:
        schema_for(version).assertValid(element)


@pytest.mark.parametrize("version", ["1.8", "1.21"])
def test_reads_what_the_app_keeps(version: str) -> None:
    message = read_message(sm.message(version, [*sm.objects(version, FACTORY), sm.deletion("НоменклатураСсылка", "x")]))
    header = message.header
    assert (header.version, header.sender, header.recipient, header.message_no, header.received_no) == (
        version,
        "b7e2f0c4-1d3a-4e59-8a6b-0c2d4e6f8a10",
        FACTORY,
        1,
        0,
    )
    assert header.available_versions == ("1.7", "1.8", "1.10", "1.21", "1.23")
    assert message.has_body
    assert [o["ИНН"] for o in message.organisations] == ["7701234567"]
    assert message.registers[0]["РегистрационныйНомер"] == FACTORY
    assert message.registers[0]["Организация"]["Наименование"] == 'ООО "Ромашка"'
    coffee, tea = message.items
    assert coffee.key["КодВПрограмме"] == "00-00000001" and coffee.item_type == "Товар"
    assert coffee.vat == Vat("20", False, False, "Общая")
    assert tea.vat is None
    assert message.barcodes == [("4600000000017", coffee.ref)]
    assert [(p.item_ref, p.price) for p in message.prices] == [(coffee.ref, Decimal(350)), (tea.ref, Decimal("120.50"))]
    (order,) = message.orders
    assert order.ref == sm.ORDER_REF and order.key["Номер"] == "КС-0001" and order.amount == Decimal(700)
    assert [(line.item["Ссылка"], line.quantity, line.amount) for line in order.lines] == [
        (coffee.ref, Decimal(2), Decimal(700))
    ]
    assert message.order_states == [(sm.ORDER_REF, "Подтвержден")]
    assert message.deletions == [Deletion("НоменклатураСсылка", "x")]
    assert dict(message.skipped) == {"Справочник.Склады": 1}


def test_settings_only_message_has_no_body_and_no_version() -> None:
    data = sm.message("1.8", None).replace(
        b"http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8", b"http://v8.1c.ru/edi/edi_stnd/EnterpriseData"
    )
    message = read_message(data)
    assert message.header.version is None and not message.has_body and message.object_count == 0


def test_unknown_objects_and_extension_namespaces_are_tolerated() -> None:
    extra = '<Справочник.Новое xmlns="urn:ext"><A>1</A></Справочник.Новое>'
    message = read_message(sm.message("1.21", [extra]))
    assert dict(message.skipped) == {"Справочник.Новое": 1}


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>',
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Message>&b;</Message>',
    ],
)
def test_dtd_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(UnsafeXmlError):
        read_message(data)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"not xml", "well-formed"),
        (b"<Other/>", "not Message"),
        (b"<Message><Body/></Message>", "no msg:Header"),
        (b'<Message><h:Header xmlns:h="http://www.1c.ru/SSL/Exchange/Message"/></Message>', "no Format"),
    ],
)
def test_malformed_messages(data: bytes, text: str) -> None:
    with pytest.raises(MessageFormatError, match=text):
        read_message(data)


def test_unknown_objects_between_known_ones_are_counted_once() -> None:
    unknown = (
        "<Справочник.Склады><КлючевыеСвойства><Наименование>С</Наименование></КлючевыеСвойства></Справочник.Склады>"
    )
    objects = sm.objects("1.21", FACTORY)[:3]
    message = read_message(sm.message("1.21", [unknown, objects[0], unknown, unknown, objects[2], unknown]))
    assert dict(message.skipped) == {"Справочник.Склады": 4}
    assert len(message.organisations) == 1 and len(message.items) == 1
