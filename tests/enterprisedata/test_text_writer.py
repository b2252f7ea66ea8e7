"""The text writer emits exactly the bytes lxml serializes from the element-building emitter, and streams."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from ed_samples import ALL_OBJECTS, GROUP, ITEM, UNIT
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kassa_server.enterprisedata import (
    SUPPORTED_VERSIONS,
    Header,
    MessageWriter,
    MissingProperty,
    RawXml,
    read_message,
    write_message,
)
from kassa_server.enterprisedata import objects as o
from kassa_server.enterprisedata.binding import SPILL_PARTS, Emitter, TextEmitter


def both(version: str, obj: object) -> tuple[bytes | str, bytes | str]:
    """(lxml bytes of Emitter.build, bytes of TextEmitter) or the error each raises."""
    try:
        expected: bytes | str = etree.tostring(Emitter(version).build(obj), encoding="UTF-8")  # type: ignore[arg-type]
    except (KeyError, MissingProperty) as exc:
        expected = repr(exc)
    out: list[str] = []
    try:
        TextEmitter(version).emit(obj, out)  # type: ignore[arg-type]
        actual: bytes | str = "".join(out).encode()
    except (KeyError, MissingProperty) as exc:
        actual = repr(exc)
    return expected, actual


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize("obj", ALL_OBJECTS, ids=lambda obj: type(obj).__name__)
def test_text_writer_matches_lxml_bytes(version: str, obj: object) -> None:
    expected, actual = both(version, obj)
    assert actual == expected


XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(name=XML_TEXT, article=XML_TEXT, group=XML_TEXT)
def test_text_writer_escapes_as_libxml2(name: str, article: str, group: str) -> None:
    obj = dataclasses.replace(ITEM, name=name, article=article, group=o.ItemGroup(ref=GROUP.ref, name=group))
    for version in ("1.8", "1.21"):
        expected, actual = both(version, obj)
        assert actual == expected


def test_control_characters_are_refused_and_leave_nothing_behind() -> None:
    buffer = io.BytesIO()
    with MessageWriter(buffer, Header("1.21", datetime(2025, 3, 1))) as writer:
        writer.write(UNIT)
        with pytest.raises(ValueError, match="XML compatible"):
            writer.write(dataclasses.replace(ITEM, name="bad\x01name"))
        with pytest.raises(MissingProperty):
            writer.write(o.PriceList(ref=uuid.uuid4(), date=datetime(2025, 3, 1), number="1"))
        writer.write(UNIT)
    with read_message(io.BytesIO(buffer.getvalue())) as reader:
        assert list(reader) == [UNIT, UNIT]


def test_raw_additional_info_is_written_in_the_target_namespace() -> None:
    raw = RawXml(
        '<ДополнительныеРеквизиты xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"><Строка><Свойство>'
        "<Наименование>Цвет</Наименование></Свойство><ЗначениеСвойства>красный &amp; синий</ЗначениеСвойства>"
        "</Строка></ДополнительныеРеквизиты>".encode()
    )
    obj = dataclasses.replace(ITEM, additional_attributes=raw)
    expected, actual = both("1.21", obj)
    assert isinstance(actual, bytes) and actual == expected and b"ns0:" not in actual


def test_a_huge_object_is_streamed_in_pieces_and_reads_back() -> None:
    rows = [o.PriceRow(i + 1, o.GoodsData(item=ITEM), Decimal(i)) for i in range(SPILL_PARTS // 10)]
    price_type = o.PriceType(ref=uuid.uuid4(), name="Розничная", currency=o.Currency(code="643", name="руб."))
    price_list = o.PriceList(ref=uuid.uuid4(), date=datetime(2025, 3, 1), number="1", price_type=price_type, rows=rows)

    class Recording(io.BytesIO):
        writes = 0

        def write(self, data: bytes) -> int:  # type: ignore[override]
            self.writes += 1
            return super().write(data)

    stream = Recording()
    write_message(stream, Header("1.21", datetime(2025, 3, 1)), [UNIT, price_list, UNIT])
    assert stream.writes > 3  # the rows went out in several pieces
    with read_message(io.BytesIO(stream.getvalue())) as reader:
        unit, read_back, unit_again = list(reader)
    assert isinstance(read_back, o.PriceList) and len(read_back.rows) == len(rows)
    assert [r.price for r in read_back.rows] == [r.price for r in rows] and unit == unit_again == UNIT
