"""``ed show``'s library: the header, one line per object with key properties and row counts, one object."""

from __future__ import annotations

import io
from datetime import datetime

from ed_samples import ALL_OBJECTS, BARCODE, ITEM, PRICE_LIST, SALE
from lxml import etree

from kassa_server.enterprisedata import Deletion, Header, Item, write_message
from kassa_server.enterprisedata.inspection import (
    COUNTED_ROWS,
    HeaderInfo,
    ObjectLine,
    Totals,
    find_object,
    format_overview,
    overview,
)
from kassa_server.enterprisedata.objects import GoodsData, PriceList, PriceRow


def message(objects: list[object], version: str = "1.21") -> bytes:
    buffer = io.BytesIO()
    header = Header(version, datetime(2025, 3, 1), "dev", message_no=7, available_versions=["1.8", version])
    write_message(buffer, header, objects)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_overview_lists_header_objects_keys_rows_and_totals() -> None:
    items = list(overview(message([ITEM, BARCODE, SALE, Deletion(Item, ITEM.ref)])))
    header, *objects, totals = items
    assert isinstance(header, HeaderInfo) and isinstance(totals, Totals)
    fields = dict(header.fields)
    assert fields["Confirmation/MessageNo"] == "7" and fields["AvailableVersion"] == "1.8, 1.21"
    item, barcode, sale, deletion = objects
    assert isinstance(item, ObjectLine) and item.type_name == "Справочник.Номенклатура"
    assert item.ref == str(ITEM.ref)
    assert item.key.startswith("Наименование=Кофе 250 г, НаименованиеПолное=Кофе зерновой 250 г, ")
    assert isinstance(barcode, ObjectLine) and barcode.ref is None
    assert barcode.key == "Штрихкод=4600000000024" and barcode.rows == {"Записи": 1}
    assert isinstance(sale, ObjectLine) and sale.rows["ТоварыПродажа"] == 1 and sale.rows["ОплатыККМ"] == 1
    assert isinstance(deletion, ObjectLine) and str(ITEM.ref) in deletion.key
    assert totals.counts["Документ.ЧекККМ"] == 1 and sum(totals.counts.values()) == 4
    lines = list(format_overview(iter(items)))
    assert lines[0] == "msg:Header" and "4 objects" in lines


def test_rows_of_huge_tables_are_counted_not_kept() -> None:
    n = COUNTED_ROWS + 100
    rows = [PriceRow(i + 1, GoodsData(item=ITEM), PRICE_LIST.rows[0].price) for i in range(n)]
    price_list = PriceList(ref=PRICE_LIST.ref, date=PRICE_LIST.date, number="1", price_type=PRICE_LIST.price_type,
                           rows=rows)  # fmt: skip
    *_, line, _totals = overview(message([price_list]))
    assert isinstance(line, ObjectLine) and line.rows == {"Товары": n}


def test_every_sample_is_shown_and_found_by_its_ref() -> None:
    data = message(ALL_OBJECTS)
    lines = [i for i in overview(data) if isinstance(i, ObjectLine)]
    assert len(lines) == len(ALL_OBJECTS)
    found = find_object(data, str(SALE.ref).upper())
    assert found is not None
    line, xml = found
    assert line and xml.startswith("<Документ.ЧекККМ".encode()) and b"\n  <" in xml
    assert etree.fromstring(xml).findtext("{*}КлючевыеСвойства/{*}Ссылка") == str(SALE.ref)
    assert find_object(data, "4600000000024") is not None  # no Ссылка: found by its first property
    assert find_object(data, "no-such-ref") is None
