"""Reader: hostile documents, invalid and unknown objects, and the spec's example objects (objects.md §8)."""

from __future__ import annotations

import io

import pytest

from kassa_server.enterprisedata import (
    DtdForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    InvalidObject,
    Item,
    MissingProperty,
    NestingTooDeep,
    Receipt,
    SchemaViolation,
    UnknownObject,
    XmlSyntax,
    read_message,
    write_message,
)

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
