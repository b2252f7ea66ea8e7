"""Reader: hostile documents, invalid and unknown objects, and the spec's example objects (objects.md §8)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from kassa_server.enterprisedata import (
    Currency,
    DtdForbidden,
    EntitiesForbidden,
    EnvelopeError,
    ExternalReferenceForbidden,
    GoodsData,
    Header,
    InvalidObject,
    Item,
    ItemGroup,
    ItemType,
    MissingProperty,
    NestingTooDeep,
    PriceList,
    PriceRow,
    PriceType,
    Receipt,
    SchemaViolation,
    UnknownObject,
    UnsupportedVersion,
    XmlSyntax,
    read_message,
    write_message,
)
from kassa_server.enterprisedata.reader import STREAM_ROWS

HEAD = (
    '<Message xmlns:msg="http://www.1c.ru/SSL/Exchange/Message"><msg:Header>'
    "<msg:Format>http://v8.1c.ru/edi/edi_stnd/EnterpriseData/{v}</msg:Format>"
    "<msg:CreationDate>2025-03-01T15:25:03</msg:CreationDate>"
    "<msg:Confirmation><msg:From>dev</msg:From><msg:MessageNo>3</msg:MessageNo><msg:ReceivedNo>2</msg:ReceivedNo>"
    "</msg:Confirmation><msg:AvailableVersion>{v}</msg:AvailableVersion></msg:Header>"
    '<Body xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/{v}">'
)


def message(version: str, body: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> io.BytesIO:
    return io.BytesIO((prolog + HEAD.format(v=version) + body + "</Body></Message>").encode())


ITEM_18 = """<Справочник.Номенклатура><КлючевыеСвойства><Ссылка>9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a</Ссылка>
<КодВПрограмме>00-00000042</КодВПрограмме><Артикул>MLK-32</Артикул><Наименование>Молоко 3,2% 1 л</Наименование>
<Группа><Ссылка>1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6</Ссылка><Наименование>Молочная продукция</Наименование></Группа>
</КлючевыеСвойства><ТипНоменклатуры>Товар</ТипНоменклатуры><ЕдиницаИзмерения>
<Ссылка>6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d</Ссылка><ДанныеКлассификатора><Код>796</Код><Наименование>шт</Наименование>
</ДанныеКлассификатора></ЕдиницаИзмерения><СтавкаНДС>НДС10</СтавкаНДС><ПризнакПредметаРасчета>Товар</ПризнакПредметаРасчета>
<Весовой>false</Весовой><Маркируемый>true</Маркируемый><ВидПродукцииИС>МолочнаяПродукция</ВидПродукцииИС>
</Справочник.Номенклатура>"""

RECEIPT_121 = """<Документ.ЧекККМ><КлючевыеСвойства><Ссылка>7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f</Ссылка>
<Дата>2025-03-01T18:12:45</Дата><НомерКассовойСмены>58</НомерКассовойСмены><КассаККМ>
<Ссылка>0c4e5f60-7182-4a93-b4c5-d6e7f8091a2b</Ссылка><Наименование>Мобильная касса 1</Наименование><Организация>
<Ссылка>5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</Ссылка><Наименование>ООО "Ромашка"</Наименование><ИНН>7701234567</ИНН>
<КПП>770101001</КПП><ЮридическоеФизическоеЛицо>ЮридическоеЛицо</ЮридическоеФизическоеЛицо></Организация>
<РегистрационныйНомер>0000000001012345</РегистрационныйНомер></КассаККМ><НомерВПрограмме>1204</НомерВПрограмме>
<НомерЧекаККМ>15</НомерЧекаККМ><ЕстьДвижениеНаличных>false</ЕстьДвижениеНаличных>
<ЕстьДвижениеБезналичных>true</ЕстьДвижениеБезналичных><ЕстьДвижениеТоваров>true</ЕстьДвижениеТоваров>
<ЭтоВозврат>false</ЭтоВозврат></КлючевыеСвойства><ДанныеОперацииККМ><Валюта><ДанныеКлассификатора><Код>643</Код>
<Наименование>руб.</Наименование></ДанныеКлассификатора></Валюта><Сумма>700</Сумма></ДанныеОперацииККМ>
<ТоварыПродажа><Строка><НомерСтрокиДокумента>1</НомерСтрокиДокумента><ДанныеНоменклатуры><Номенклатура>
<Ссылка>6f0c1a60-3b7d-41ef-9a1c-0242ac120002</Ссылка><Наименование>Кофе зерновой 250 г</Наименование></Номенклатура>
</ДанныеНоменклатуры><Количество>2</Количество><Сумма>700</Сумма><Цена>350</Цена><СтавкаНДС><Ставка>20</Ставка>
<РасчетнаяСтавка>false</РасчетнаяСтавка><НеОблагается>false</НеОблагается><ВидСтавки>Общая</ВидСтавки></СтавкаНДС>
<СуммаНДС>116.67</СуммаНДС></Строка></ТоварыПродажа><ОплатаПлатежнымиКартами><Строка><СуммаОплаты>700</СуммаОплаты>
<КодRRN>123456789012</КодRRN></Строка></ОплатаПлатежнымиКартами><ОплатыККМ><Строка><Сумма>700</Сумма>
<ТипОплаты>Электронно</ТипОплаты></Строка></ОплатыККМ><ПризнакСпособаРасчета>ПередачаСПолнойОплатой</ПризнакСпособаРасчета>
</Документ.ЧекККМ>"""


def test_spec_examples_are_read_and_written_again() -> None:
    with read_message(message("1.8", ITEM_18)) as reader:
        assert reader.header.message_no == 3 and reader.version == "1.8"
        (item,) = list(reader)
    assert isinstance(item, Item) and item.vat is not None and item.vat.rate == 10 and item.marked is True
    assert item.group is not None and item.group.name == "Молочная продукция"
    with read_message(message("1.21", RECEIPT_121)) as reader:
        (receipt,) = list(reader)
    assert (
        isinstance(receipt, Receipt)
        and receipt.receipt_number == "15"
        and receipt.card_payments[0].rrn == "123456789012"
    )
    assert receipt.cash_register is not None and receipt.cash_register.organization is not None
    for version, obj in (("1.8", item), ("1.21", receipt), ("1.21", item)):
        buffer = io.BytesIO()
        write_message(buffer, reader.header.__class__(version, reader.header.creation_date, "dev"), [obj])
        with read_message(io.BytesIO(buffer.getvalue())) as again:
            assert len(list(again)) == 1
    # the 1.21 card row has no card number, which 1.8 requires: the writer says so instead of emitting invalid XML
    with pytest.raises(MissingProperty, match="НомерКарты"):
        write_message(io.BytesIO(), reader.header.__class__("1.8", reader.header.creation_date, "dev"), [receipt])


def test_unknown_types_are_reported_with_raw_xml() -> None:
    body = "<Справочник.Банки><КлючевыеСвойства><Ссылка>x</Ссылка></КлючевыеСвойства></Справочник.Банки>" + ITEM_18
    with read_message(message("1.8", body)) as reader:
        unknown, item = list(reader)
    assert isinstance(unknown, UnknownObject) and unknown.type_name == "Справочник.Банки" and unknown.ref == "x"
    assert b"<\xd0" in unknown.raw and isinstance(item, Item)


def test_invalid_object_strict_raises_lenient_skips() -> None:
    bad = ITEM_18.replace("<ТипНоменклатуры>Товар</ТипНоменклатуры>", "")
    with pytest.raises(SchemaViolation, match="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a") as info:
        list(read_message(message("1.8", bad), strict=True))
    assert info.value.object_type == "Справочник.Номенклатура"
    with read_message(message("1.8", bad + ITEM_18), strict=False) as reader:
        invalid, item = list(reader)
    assert isinstance(invalid, InvalidObject) and "ТипНоменклатуры" in invalid.reason and isinstance(item, Item)


def test_additional_attributes_are_kept_verbatim() -> None:
    extra = ITEM_18.replace(
        "<КодТНВЭД", "<ДополнительныеРеквизиты><Строка><Свойство><Наименование>КодыSKU</Наименование></Свойство>"
        "</Строка></ДополнительныеРеквизиты><КодТНВЭД",
    ).replace("</ВидПродукцииИС>", "</ВидПродукцииИС>")  # fmt: skip
    extra = extra.replace(
        "<СтавкаНДС>",
        "<ДополнительныеРеквизиты><Строка><Свойство><Наименование>КодыSKU</Наименование></Свойство></Строка>"
        "</ДополнительныеРеквизиты><СтавкаНДС>",
    )
    with read_message(message("1.8", extra), strict=False) as reader:
        items = list(reader)
    # ДополнительныеРеквизиты sits after ГруппаНастроекФинансовогоУчета in 1.8, so this placement is invalid
    assert isinstance(items[0], InvalidObject)


HOSTILE = {
    "dtd": ('<?xml version="1.0"?><!DOCTYPE Message [<!ELEMENT Message ANY>]>', DtdForbidden),
    "billion_laughs": (
        '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
        EntitiesForbidden,
    ),
    "xxe": (
        '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        ExternalReferenceForbidden,
    ),
    "external_dtd": (
        '<?xml version="1.0"?><!DOCTYPE Message SYSTEM "http://example.com/a.dtd">',
        ExternalReferenceForbidden,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_prologs_are_rejected(name: str) -> None:
    prolog, error = HOSTILE[name]
    with pytest.raises(error):
        read_message(message("1.8", ITEM_18, prolog))


def test_undeclared_entity_is_rejected() -> None:
    # libxml2 reports an undeclared entity in iterparse only as a generic syntax error at the end
    with pytest.raises((EntitiesForbidden, XmlSyntax)):
        list(read_message(message("1.8", ITEM_18.replace("Молоко", "&xxe;"))))


def test_absurd_nesting_is_rejected() -> None:
    deep = "<a>" * 200 + "</a>" * 200
    with pytest.raises(NestingTooDeep):
        list(read_message(message("1.8", deep)))


# objects.md §8.1 and §8.4, verbatim (indentation included)
RECEIPT_18 = """<Документ.ЧекККМ>
  <КлючевыеСвойства>
    <Ссылка>3f2c9a7e-5b1d-4c8e-9f10-2a6b7c8d9e01</Ссылка>
    <Дата>2024-05-14T12:31:08</Дата>
    <НомерКассовойСмены>42</НомерКассовойСмены>
    <КассаККМ>
      <Ссылка>0c4e5f60-7182-4a93-b4c5-d6e7f8091a2b</Ссылка>
      <Наименование>Мобильная касса 1</Наименование>
      <Организация>
        <Ссылка>5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</Ссылка>
        <Наименование>ИП Петров П.П.</Наименование>
        <ИНН>771234567890</ИНН>
        <ЮридическоеФизическоеЛицо>ФизическоеЛицо</ЮридическоеФизическоеЛицо>
      </Организация>
      <РегистрационныйНомер>0000000001012345</РегистрационныйНомер>
    </КассаККМ>
    <НомерВПрограмме>117</НомерВПрограмме>
    <НомерЧекаФР>7</НомерЧекаФР>
  </КлючевыеСвойства>
  <ДанныеОперацииККМ>
    <Валюта><ДанныеКлассификатора><Код>643</Код><Наименование>руб.</Наименование></ДанныеКлассификатора></Валюта>
    <Сумма>250</Сумма>
    <Кассир><Наименование>Петров П.П.</Наименование></Кассир>
  </ДанныеОперацииККМ>
  <ТоварыПродажа>
    <Строка>
      <НомерСтрокиДокумента>1</НомерСтрокиДокумента>
      <ДанныеНоменклатуры>
        <Номенклатура><Ссылка>9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a</Ссылка><Наименование>Молоко 3,2% 1 л</Наименование></Номенклатура>
        <Штрихкод>4600000000024</Штрихкод>
      </ДанныеНоменклатуры>
      <Количество>2</Количество>
      <Сумма>250</Сумма>
      <Цена>125</Цена>
      <СтавкаНДС>НДС10</СтавкаНДС>
      <СуммаНДС>22.73</СуммаНДС>
    </Строка>
  </ТоварыПродажа>
  <ОплатыККМ>
    <Строка><Сумма>250</Сумма><ТипОплаты>Электронно</ТипОплаты></Строка>
  </ОплатыККМ>
  <ПризнакСпособаРасчета>ПередачаСПолнойОплатой</ПризнакСпособаРасчета>
  <АкцизныеМарки>
    <Строка>
      <ДанныеНоменклатуры><Номенклатура><Ссылка>9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a</Ссылка><Наименование>Молоко 3,2% 1 л</Наименование></Номенклатура></ДанныеНоменклатуры>
      <НомерАкцизнойМарки>010460000000002421Xk7pQ2mA9bC3d</НомерАкцизнойМарки>
      <ТипАкцизнойМарки>МолочнаяПродукция</ТипАкцизнойМарки>
    </Строка>
  </АкцизныеМарки>
</Документ.ЧекККМ>"""  # noqa: E501

ITEM_121 = """<Справочник.Номенклатура>
  <КлючевыеСвойства>
    <Ссылка>6f0c1a60-3b7d-41ef-9a1c-0242ac120002</Ссылка>
    <КодВПрограмме>00-00000001</КодВПрограмме>
    <Артикул>A-100</Артикул>
    <Наименование>Кофе зерновой 250 г</Наименование>
    <Группа><Ссылка>6f0c1a61-3b7d-41ef-9a1c-0242ac120002</Ссылка><Наименование>Кофе</Наименование></Группа>
  </КлючевыеСвойства>
  <ТипНоменклатуры>Товар</ТипНоменклатуры>
  <ЕдиницаИзмерения>
    <Ссылка>6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d</Ссылка>
    <ДанныеКлассификатора><Код>796</Код><Наименование>шт</Наименование></ДанныеКлассификатора>
  </ЕдиницаИзмерения>
  <СтавкаНДС><Ставка>20</Ставка><РасчетнаяСтавка>false</РасчетнаяСтавка><НеОблагается>false</НеОблагается><ВидСтавки>Общая</ВидСтавки></СтавкаНДС>
  <ПризнакПредметаРасчета>Товар</ПризнакПредметаРасчета>
  <Весовой>false</Весовой>
  <ОбщиеСвойстваОбъектовФормата><СостояниеОбъекта>Актуальный</СостояниеОбъекта></ОбщиеСвойстваОбъектовФормата>
</Справочник.Номенклатура>"""


def canonical_object(xml: bytes | str, version: str) -> bytes:
    """The c14n of the single Body object in ``xml`` (a whole message or a bare fragment), whitespace dropped."""
    data = xml.encode() if isinstance(xml, str) else xml
    if not data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        data = message(version, data.decode()).getvalue()
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True))
    body = root[1]
    return etree.tostring(body[0], method="c14n", exclusive=True)


@pytest.mark.parametrize(("version", "example"), [("1.8", RECEIPT_18), ("1.21", ITEM_121)])
def test_spec_examples_8_1_and_8_4_are_written_back_identically(version: str, example: str) -> None:
    with read_message(message(version, example)) as reader:
        (obj,) = list(reader)
    if version == "1.8":
        assert isinstance(obj, Receipt) and obj.receipt_number == "7" and obj.number_in_app == "117"
        assert obj.sales[0].vat is not None and obj.sales[0].vat.rate == 10 and obj.sales[0].goods is not None
        assert obj.sales[0].goods.barcode == "4600000000024" and obj.marking_codes[0].kind == "МолочнаяПродукция"
        assert obj.operation is not None and obj.operation.cashier is not None
        assert obj.operation.cashier.name == "Петров П.П." and obj.payments[0].payment_type == "Электронно"
    else:
        assert isinstance(obj, Item) and obj.vat is not None and obj.vat.rate == 20 and not obj.vat.calculated
        assert obj.object_state == "Актуальный" and obj.group is not None and obj.group.name == "Кофе"
        assert obj.unit is not None and obj.unit.code == "796" and obj.weighed is False
    buffer = io.BytesIO()
    write_message(buffer, Header(version, datetime(2025, 3, 1), "server"), [obj])
    assert canonical_object(buffer.getvalue(), version) == canonical_object(example, version)


def test_undeclared_entity_is_named_as_such() -> None:
    with pytest.raises(EntitiesForbidden, match="xxe"):
        list(read_message(message("1.8", ITEM_18.replace("Молоко", "&xxe;"))))


def test_nesting_beyond_libxml2_limit_and_deep_valid_recursion_are_rejected() -> None:
    deep = "<a>" * 300 + "</a>" * 300
    with pytest.raises(NestingTooDeep):
        list(read_message(message("1.8", deep)))
    group = ItemGroup(ref=uuid.uuid4(), name="0")
    for level in range(70):  # the group key block is recursive: a valid object can nest without bound
        group = ItemGroup(ref=uuid.uuid4(), name=str(level + 1), parent=group)
    buffer = io.BytesIO()
    write_message(buffer, Header("1.21", datetime(2025, 3, 1), "server"), [group])
    with pytest.raises(NestingTooDeep):
        list(read_message(io.BytesIO(buffer.getvalue()), strict=False))


def price_list_message(rows: int) -> str:
    price_type = PriceType(ref=uuid.uuid4(), name="Розничная", currency=Currency(code="643", name="руб."))
    item = Item(ref=uuid.uuid4(), name="Товар", item_type=ItemType.GOODS)
    price_list = PriceList(
        ref=uuid.UUID(int=7, version=4), date=datetime(2025, 3, 1), number="1", price_type=price_type,
        rows=[PriceRow(i + 1, GoodsData(item=item), Decimal(i)) for i in range(rows)],
    )  # fmt: skip
    buffer = io.BytesIO()
    write_message(buffer, Header("1.21", datetime(2025, 3, 1), "server"), [price_list, item])
    return buffer.getvalue().decode("utf-8-sig")


def test_rows_of_a_huge_table_are_read_one_by_one_and_checked() -> None:
    rows = STREAM_ROWS + 100
    text = price_list_message(rows)
    with read_message(io.BytesIO(text.encode())) as reader:
        price_list, item = list(reader)
    assert isinstance(price_list, PriceList) and [r.price for r in price_list.rows] == list(range(rows))
    assert [r.line_no for r in price_list.rows] == list(range(1, rows + 1)) and isinstance(item, Item)
    for bad_row in (10, STREAM_ROWS + 50):  # kept in the tree / read on its own
        bad = text.replace(f"<Цена>{bad_row}</Цена>", "<Цена>много</Цена>").encode()
        with pytest.raises(SchemaViolation, match="00000000-0000-4000-8000-000000000007") as info:
            list(read_message(io.BytesIO(bad)))
        assert info.value.object_type == "Документ.УстановкаЦенНоменклатуры" and "Цена" in info.value.violation
        with read_message(io.BytesIO(bad), strict=False) as reader:
            invalid, item = list(reader)
        assert isinstance(invalid, InvalidObject) and "Цена" in invalid.reason and isinstance(item, Item)


def test_unknown_objects_between_known_ones_keep_their_place() -> None:
    unknown = "<Справочник.Банки><КлючевыеСвойства><Ссылка>b</Ссылка></КлючевыеСвойства></Справочник.Банки>"
    body = f"<?pi x?>{unknown}{ITEM_18}<!-- c -->{unknown}{ITEM_18}{unknown}\n"
    with read_message(message("1.8", body)) as reader:
        items = list(reader)
    assert [type(i).__name__ for i in items] == ["UnknownObject", "Item", "UnknownObject", "Item", "UnknownObject"]


ENVELOPES = {
    "root": ("<Сообщение/>", "root element is not Message"),
    "no_header": ("<Message><Body xmlns='http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8'/></Message>",
                  "Header must be the first child"),
    "before_header": (HEAD.format(v="1.8").replace("<msg:Header>", "<Extra/><msg:Header>") + "</Body></Message>",
                      "Header must be the first child"),
    "after_header": (HEAD.format(v="1.8").replace("<Body ", "<Extra/><Body ") + "</Body></Message>",
                     "unexpected Extra after msg:Header"),
    "header_only_then_junk": (HEAD.format(v="1.8").split("<Body")[0] + "<Extra/></Message>",
                              "unexpected Extra after msg:Header"),
    "empty_message": ("<Message/>", "has no msg:Header"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ENVELOPES))
def test_broken_envelopes_are_rejected(name: str) -> None:
    document, error = ENVELOPES[name]
    with pytest.raises(EnvelopeError, match=error):
        read_message(io.BytesIO(document.encode()))


def test_a_body_in_an_unknown_namespace_is_unsupported() -> None:
    with pytest.raises(UnsupportedVersion):
        read_message(message("1.99", ITEM_18))
