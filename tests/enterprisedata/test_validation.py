"""Offline validation (``validation.py``, ``checks.py``): valid messages of every version, every kind of error with
where it is, ZIPs, single objects, and a streamed table of many rows."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ed_samples import ALL_OBJECTS, ITEM, PRICE_LIST

from kassa_server.enterprisedata import SUPPORTED_VERSIONS, Header, write_message
from kassa_server.enterprisedata.checks import assert_valid_enterprisedata
from kassa_server.enterprisedata.objects import (
    Barcode,
    BarcodeRecord,
    Currency,
    GoodsData,
    Item,
    ItemGroup,
    ItemType,
    PriceList,
    PriceRow,
    PriceType,
    Unit,
    VatRate,
)
from kassa_server.enterprisedata.schema import type_graph
from kassa_server.enterprisedata.validation import STREAM_ROWS, validate
from kassa_server.enterprisedata.versions import namespace

NS121 = namespace("1.21")


def message_bytes(version: str, objects: list[object] | None = None) -> bytes:
    if objects is None:
        objects = [o for o in ALL_OBJECTS if type_graph(version).object_type(o.wire_name) is not None]
    buffer = io.BytesIO()
    header = Header(version, datetime(2025, 3, 1, 15, 25, 3), "dev", message_no=3, received_no=2,
                    available_versions=list(SUPPORTED_VERSIONS))  # fmt: skip
    write_message(buffer, header, objects)  # type: ignore[arg-type]
    return buffer.getvalue()


def pretty(data: bytes) -> bytes:
    """The same message with one element per line, so that errors have distinct lines."""
    from lxml import etree

    tree = etree.fromstring(data.removeprefix(b"\xef\xbb\xbf"))
    etree.indent(tree)
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_messages_of_every_version_are_valid(version: str) -> None:
    data = message_bytes(version)
    report = validate(data)
    assert report.valid, report.text()
    assert report.version == version and report.objects >= 24
    assert_valid_enterprisedata(data)
    assert "valid EnterpriseData" in report.summary()


def replace_once(data: bytes, old: str, new: str) -> bytes:
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode(), 1)


def line_of(data: bytes, text: str) -> int:
    return next(i for i, line in enumerate(data.decode().splitlines(), start=1) if text in line)


def test_every_error_is_reported_with_line_object_ref_and_path(tmp_path: Path) -> None:
    data = pretty(message_bytes("1.21"))
    item_ref = str(ITEM.ref)
    # break the product Кофе itself: other objects (its kind, its characteristics) repeat some of its elements
    start = data.index("<Справочник.Номенклатура ".encode())
    end = data.index("</Справочник.Номенклатура>".encode(), start)
    item = data[start:end]
    assert "Кофе 250 г".encode() in item
    item = replace_once(item, "<ТипНоменклатуры>Товар</ТипНоменклатуры>", "<ТипНоменклатуры>Товаръ</ТипНоменклатуры>")
    item = replace_once(item, "<Артикул>A-100</Артикул>", "")  # optional: still fine
    item = replace_once(item, "<Наименование>Кофе 250 г</Наименование>", "")  # required key property
    item = replace_once(item, "<Описание>Арабика</Описание>", "")  # wrong order: Описание after Весовой
    item = replace_once(item, "<Весовой>false</Весовой>", "<Весовой>false</Весовой><Описание>x</Описание>")
    broken = data[:start] + item + data[end:]
    path = tmp_path / "broken.xml"
    path.write_bytes(broken)
    report = validate(path)
    assert not report.valid
    lines = [str(p) for p in report.problems]
    assert all(line.startswith(f"{path}:") for line in lines)
    by_reason = {p.path: p for p in report.problems}
    enum = by_reason["Справочник.Номенклатура/ТипНоменклатуры"]
    assert enum.ref == item_ref and enum.object_type == "Справочник.Номенклатура"
    assert "'Товаръ' is not an element of the set {'Товар'" in enum.reason
    assert enum.line == line_of(broken, "<ТипНоменклатуры>Товаръ</ТипНоменклатуры>")
    missing = [p for p in report.problems if "Expected is one of ( Артикул, Наименование )" in p.reason]
    assert missing and missing[0].path.startswith("Справочник.Номенклатура/КлючевыеСвойства/")
    order = [p for p in report.problems if p.path == "Справочник.Номенклатура/Описание"]
    assert order and "This element is not expected" in order[0].reason
    assert len(report.problems) == 3, lines  # every error, not only the first
    with pytest.raises(AssertionError) as failure:
        assert_valid_enterprisedata(path)
    assert str(report.problems[0]) in str(failure.value) and "3 errors" in str(failure.value)


def test_wrong_namespace_and_unknown_type_are_errors() -> None:
    data = pretty(message_bytes("1.21", [ITEM]))
    wrong_ns = data.replace(f'xmlns="{NS121}"'.encode(), f'xmlns="{namespace("1.8")}"'.encode())
    wrong_ns = replace_once(wrong_ns, f'<Body xmlns="{namespace("1.8")}"', f'<Body xmlns="{NS121}"')
    (problem,) = validate(wrong_ns).problems
    assert problem.object_type == "Справочник.Номенклатура" and "wrong namespace" in problem.reason
    assert namespace("1.8") in problem.reason and problem.ref == str(ITEM.ref)
    unknown = replace_once(data, "</Body>", "<Справочник.Несуществующий><КлючевыеСвойства><Ссылка>u-1</Ссылка>"
                           "</КлючевыеСвойства></Справочник.Несуществующий></Body>")  # fmt: skip
    (problem,) = validate(unknown).problems
    assert problem.object_type == "Справочник.Несуществующий" and problem.ref == "u-1"
    assert "unknown object type" in problem.reason
    # a type of a later version in an older message names the versions that have it
    state = replace_once(message_bytes("1.7", [ITEM]), "</Body>", "<Справочник.СостояниеЗаказа/></Body>")
    (problem,) = validate(state).problems
    assert "EnterpriseData 1.7 has no Справочник.СостояниеЗаказа (it exists in 1.8," in problem.reason


def test_objects_of_a_declared_extension_are_counted_not_checked() -> None:
    ext = "http://example.com/ext/1.0"
    data = message_bytes("1.21", [ITEM])
    data = data.replace(b"EnterpriseData/1.21</msg:Format>", f"EnterpriseData/1.21 {ext}</msg:Format>".encode())
    extra = f'<Справочник.СвоиДанные xmlns="{ext}"><Поле>1</Поле></Справочник.СвоиДанные>'
    report = validate(data.replace(b"</Body>", extra.encode() + b"</Body>"))
    assert report.valid and report.unchecked == 1 and report.objects == 2
    assert report.summary().endswith("2 objects (1 of an extension, not checked)")
    other = extra.replace(ext, "http://example.com/other")
    (problem,) = validate(data.replace(b"</Body>", other.encode() + b"</Body>")).problems
    assert "wrong namespace 'http://example.com/other'" in problem.reason


def test_header_and_envelope_errors() -> None:
    data = pretty(message_bytes("1.21", [ITEM]))
    no_from = replace_once(data, "<msg:From>dev</msg:From>", "")
    (problem,) = validate(no_from).problems
    assert problem.object_type == "msg:Header" and problem.path == "Header/Confirmation/MessageNo"
    assert "This element is not expected. Expected is one of ( ExchangePlan, To, From )" in problem.reason
    swapped = replace_once(data, "<msg:CreationDate>2025-03-01T15:25:03</msg:CreationDate>", "")
    swapped = replace_once(
        swapped, "</msg:Header>", "<msg:CreationDate>2025-03-01T15:25:03</msg:CreationDate></msg:Header>"
    )
    assert any(p.path.startswith("Header/") and "not expected" in p.reason for p in validate(swapped).problems)
    unsupported = data.replace(b"EnterpriseData/1.21</msg:Format>", b"EnterpriseData/1.99</msg:Format>")
    assert any("unsupported EnterpriseData version '1.99'" in p.reason for p in validate(unsupported).problems)
    no_body = data[: data.index(b"<Body")] + b"</Message>"
    (problem,) = validate(no_body).problems
    assert "needs a Body" in problem.reason
    junk = replace_once(data, "<Body", "<Junk/><Body")
    assert [p.path for p in validate(junk).problems] == ["Message/Junk"]


def test_forced_version_checks_against_it() -> None:
    data = message_bytes("1.8", [ITEM])
    report = validate(data, "1.21")
    assert report.version == "1.21"
    assert any("declares version 1.8, checked as 1.21" in p.reason for p in report.problems)
    assert any("wrong namespace" in p.reason for p in report.problems)


def test_malformed_and_hostile_xml_is_one_problem_with_its_line() -> None:
    data = pretty(message_bytes("1.21", [ITEM]))
    truncated = data[: data.index(b"</Body>") - 5]
    (problem,) = validate(truncated).problems
    assert problem.object_type == "Message" and problem.line
    xxe = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>'
    (problem,) = validate(xxe).problems
    assert "external entities" in problem.reason
    hidden = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Message [<!ELEMENT Message ANY>]><Message/>'
    (problem,) = validate(hidden.encode("utf-16")).problems  # a DOCTYPE the byte-level prolog check cannot see
    assert "DOCTYPE" in problem.reason


def test_zip_as_the_services_carry_it(tmp_path: Path) -> None:
    data = message_bytes("1.17")
    path = tmp_path / "message.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", data)
    report = validate(path)
    assert report.valid and report.file == f"{path}!data.xml"
    broken = replace_once(data, "<Наименование>", "<Наименованиe>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Message_1_2.xml", broken)
    report = validate(path.read_bytes(), name="m.zip")
    assert not report.valid and str(report.problems[0]).startswith("m.zip!Message_1_2.xml:")
    (problem,) = validate(b"PK\x03\x04 not really").problems
    assert "not a readable ZIP" in problem.reason


def test_a_single_object_and_a_bare_body() -> None:
    from kassa_server.enterprisedata import object_xml

    item = object_xml(ITEM, "1.21")
    report = validate(item)
    assert report.valid and report.version == "1.21" and report.objects == 1
    assert_valid_enterprisedata(item.decode())
    assert not validate(item, "1.8").valid  # in the 1.21 namespace
    # the product's own (the first); its ВидНоменклатуры reference carries one too
    broken = item.replace("<ТипНоменклатуры>Товар<".encode(), "<ТипНоменклатуры>Товаръ<".encode(), 1)
    (problem,) = validate(broken).problems
    assert problem.path == "Справочник.Номенклатура/ТипНоменклатуры"
    bare = item[: item.index("</КлючевыеСвойства>".encode())] + "</КлючевыеСвойства></Справочник.Номенклатура>".encode()
    (problem,) = validate(bare).problems  # a required property missing at the end
    assert problem.path == "Справочник.Номенклатура" and "Missing child element(s)" in problem.reason
    assert "ТипНоменклатуры" in problem.reason
    body = f'<Body xmlns="{NS121}">'.encode() + item.replace(f' xmlns="{NS121}"'.encode(), b"") * 2 + b"</Body>"
    report = validate(body)
    assert report.valid and report.objects == 2
    no_ns = item.replace(f' xmlns="{NS121}"'.encode(), b"")
    assert not validate(no_ns).valid
    assert next(p.reason for p in validate(no_ns, "1.21").problems).startswith("wrong namespace None")


def test_rows_past_the_streaming_limit_are_checked_one_by_one() -> None:
    rows = [PriceRow(i + 1, GoodsData(item=ITEM), PRICE_LIST.rows[0].price) for i in range(STREAM_ROWS + 50)]
    price_list = PriceList(ref=PRICE_LIST.ref, date=PRICE_LIST.date, number="1", price_type=PRICE_LIST.price_type,
                           rows=rows)  # fmt: skip
    data = pretty(message_bytes("1.21", [price_list]))
    assert validate(data).valid
    lines = data.decode().splitlines(keepends=True)
    prices = [i for i, line in enumerate(lines) if "<Цена>" in line]
    for index in (3, STREAM_ROWS + 20):  # one kept with the object, one validated alone
        lines[prices[index]] = lines[prices[index]].replace("<Цена>350", "<Цена>дорого")
    report = validate("".join(lines).encode())
    assert [(p.line, p.path) for p in report.problems] == [
        (prices[3] + 1, "Документ.УстановкаЦенНоменклатуры/Товары/Строка[4]/Цена"),
        (prices[STREAM_ROWS + 20] + 1, f"Документ.УстановкаЦенНоменклатуры/Товары/Строка[{STREAM_ROWS + 21}]/Цена"),
    ]
    assert all(p.ref == str(PRICE_LIST.ref) and "'дорого' is not a valid value" in p.reason for p in report.problems)


def goods(n: int, bad_row: int) -> Iterator[object]:
    """``bench_format.py``'s message of ``n`` goods; the price of row ``bad_row`` has three decimals (invalid)."""
    unit = Unit(ref=uuid.uuid4(), code="796", name="шт")
    yield unit
    groups = [ItemGroup(ref=uuid.uuid4(), name=f"Группа {i}") for i in range(100)]
    yield from groups
    price_type = PriceType(ref=uuid.uuid4(), name="Розничная", currency=Currency(code="643", name="руб."))
    yield price_type
    rows = []
    for i in range(n):
        item = Item(ref=uuid.uuid4(), name=f"Товар {i}", code=f"{i:08d}", group=groups[i % 100],
                    item_type=ItemType.GOODS, unit=unit, vat=VatRate(Decimal(20)))  # fmt: skip
        yield item
        data = GoodsData(item=item)
        yield Barcode(barcode=f"46{i:011d}", records=[BarcodeRecord(data)])
        price = Decimal("1.005") if i + 1 == bad_row else Decimal(100 + i % 900)
        rows.append(PriceRow(i + 1, data, price))
    yield PriceList(ref=uuid.uuid4(), date=datetime(2025, 3, 1), number="1", price_type=price_type, rows=rows)


@pytest.mark.slow
def test_a_zipped_message_of_100_000_goods_is_streamed_and_every_error_found(tmp_path: Path) -> None:
    n, bad_row = 100_000, 99_999
    path = tmp_path / "goods.zip"
    header = Header("1.21", datetime(2025, 3, 1), "server", available_versions=["1.21"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("data.xml", "w") as stream:
        write_message(stream, header, goods(n, bad_row))  # type: ignore[arg-type]
    report = validate(path)
    assert report.objects == 2 * n + 103 and report.version == "1.21"
    (problem,) = report.problems
    assert problem.path == f"Документ.УстановкаЦенНоменклатуры/Товары/Строка[{bad_row}]/Цена"
    assert problem.object_type == "Документ.УстановкаЦенНоменклатуры" and problem.line
    assert "fractionDigits" in problem.reason and str(problem).startswith(f"{path}!data.xml:{problem.line}: ")
