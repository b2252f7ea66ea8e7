"""Every object type in every version: written output validates, and reads back to the same model."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from ed_samples import ALL_OBJECTS, ITEM, SALE, UNIT, u
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kassa_server.enterprisedata import (
    SUPPORTED_VERSIONS,
    Deletion,
    Header,
    Item,
    MissingProperty,
    ObjectTypeSupport,
    Receipt,
    read_message,
    write_message,
)
from kassa_server.enterprisedata.binding import KEY, Bound, FormatObject, compile_plan
from kassa_server.enterprisedata.schema import type_graph, validator


def header(version: str | None) -> Header:
    return Header(
        format_version=version, creation_date=datetime(2025, 3, 1, 15, 25, 3),
        exchange_plan="СинхронизацияДанныхЧерезУниверсальныйФормат", to_code="0000000001012345",
        from_code="b7e2f0c4", message_no=29, received_no=31,
        available_versions=list(SUPPORTED_VERSIONS),
        available_object_types=[ObjectTypeSupport("Справочник.Номенклатура", "*", "*")], prefix="КС",
    )  # fmt: skip


def project(obj: Any, version: str, ctype: Any = None, key_only: bool = False) -> Any:
    """``obj`` with every field that does not exist in ``version`` cleared (recursively, references key-only)."""
    graph = type_graph(version)
    if ctype is None:
        ctype = graph.object_type(obj.wire_name)
    plan = compile_plan(graph, type(obj), ctype, key_only)
    changes: dict[str, Any] = {}
    bound = {}

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            if node.kind == "group":
                walk(node.children)
            else:
                bound[node.field] = node

    walk(plan.nodes)
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        node = bound.get(f.name)
        if node is None:
            changes[f.name] = (
                [] if isinstance(value, list) else (f.default if f.default is not dataclasses.MISSING else None)
            )
            continue
        if node.kind == "object":
            if isinstance(value, list):
                changes[f.name] = [project(v, version, node.complex, node.key_only) for v in value]
            elif value is not None:
                changes[f.name] = project(value, version, node.complex, node.key_only)
        elif (
            node.kind == "scalar"
            and value is not None
            and node.simple.enumeration is not None
            and str(getattr(value, "value", value)) not in node.simple.enumeration
        ):
            changes[f.name] = None
    return dataclasses.replace(obj, **changes)


def roundtrip(objects: list[Any], version: str) -> tuple[bytes, list[Any]]:
    buffer = io.BytesIO()
    write_message(buffer, header(version), objects)
    data = buffer.getvalue()
    with read_message(io.BytesIO(data), strict=True) as reader:
        assert reader.version == version
        return data, list(reader)


def exists(obj: Any, version: str) -> bool:
    return type_graph(version).object_type(obj.wire_name) is not None


CASES = [(obj, v) for obj in ALL_OBJECTS for v in SUPPORTED_VERSIONS if exists(obj, v)]


@pytest.mark.parametrize(("obj", "version"), CASES, ids=[f"{type(o).__name__}-{v}" for o, v in CASES])
def test_every_type_in_every_version_validates_and_reads_back(obj: Any, version: str) -> None:
    data, items = roundtrip([obj], version)
    root = etree.fromstring(data.removeprefix(b"\xef\xbb\xbf"))
    assert validator("header").validate(root[0]), validator("header").error_log
    body = root[1]
    assert len(body) == 1 and validator(version).validate(body[0]), validator(version).error_log
    assert items == [project(obj, version)]


def test_every_type_is_covered_and_only_state_of_order_is_missing_in_1_7() -> None:
    missing = {(type(o).__name__, v) for o in ALL_OBJECTS for v in SUPPORTED_VERSIONS if not exists(o, v)}
    assert missing == {("OrderState", "1.7")}


def test_every_model_field_exists_in_some_version() -> None:
    for obj in ALL_OBJECTS:
        dropped = [set(compile_plan(type_graph(v), type(obj), type_graph(v).object_type(obj.wire_name), False).dropped)
                   for v in SUPPORTED_VERSIONS if exists(obj, v)]  # fmt: skip
        allowed = {"ref"} if obj.wire_name == "Справочник.ШтрихкодыНоменклатуры" else set()  # no key block at all
        assert set.intersection(*dropped) == allowed, type(obj).__name__


def test_semantic_differences_follow_the_version() -> None:
    old = roundtrip([SALE], "1.16")[0].decode()
    new = roundtrip([SALE], "1.17")[0].decode()
    assert "<НомерЧекаФР>15</НомерЧекаФР>" in old and "НомерЧекаККМ" not in old
    assert "<НомерЧекаККМ>15</НомерЧекаККМ>" in new and "НомерЧекаФР" not in new
    assert "<СтавкаНДС>НДС20</СтавкаНДС>" in old
    assert "<СтавкаНДС><Ставка>20</Ставка><РасчетнаяСтавка>false</РасчетнаяСтавка>" in new
    assert "<СистемаНалогообложения>" not in roundtrip([SALE.cash_register], "1.17")[0].decode()
    assert "<СистемаНалогообложения>УпрощеннаяДоход<" in roundtrip([SALE.cash_register], "1.16")[0].decode()
    from ed_samples import BARCODE, ORDER_STATE

    assert "<ДанныеНоменклатуры><Номенклатура><Ссылка>" in roundtrip([BARCODE], "1.7")[0].decode()
    assert "<ДанныеНоменклатуры><Номенклатура><Номенклатура><Ссылка>" in roundtrip([BARCODE], "1.8")[0].decode()
    key_18 = roundtrip([ORDER_STATE], "1.8")[0].decode().split("<КлючевыеСвойства>")[1]
    key_117 = roundtrip([ORDER_STATE], "1.17")[0].decode().split("<КлючевыеСвойства>")[1]
    assert key_18.index("<Заказ>") < key_18.index("<Ссылка>")
    assert key_117.index("<Ссылка>") < key_117.index("<Заказ>")


def test_required_property_missing_is_an_error_naming_it() -> None:
    with pytest.raises(MissingProperty, match="ЕдиницаИзмерения"):
        roundtrip([dataclasses.replace(ITEM, unit=None)], "1.17")
    assert roundtrip([dataclasses.replace(ITEM, unit=None)], "1.19")[1][0].unit is None


def test_deletion_roundtrip() -> None:
    data, items = roundtrip([Deletion(Item, u(99))], "1.21")
    assert "<НоменклатураСсылка>" in data.decode()
    assert items == [Deletion(Item, u(99))]


def test_settings_only_message_has_no_body() -> None:
    buffer = io.BytesIO()
    write_message(buffer, header(None))
    assert b"<Body" not in buffer.getvalue()
    with read_message(io.BytesIO(buffer.getvalue())) as reader:
        assert reader.header.format_version is None and not reader.has_body
        assert reader.header.available_versions == list(SUPPORTED_VERSIONS)
        assert list(reader) == []


decimals = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    str.strip
)
items = st.builds(
    Item, ref=st.uuids(version=4), name=texts, code=st.none() | texts, article=st.none() | texts,
    description=st.none() | texts, unit=st.just(UNIT),
    item_type=st.sampled_from([t for t in type(ITEM.item_type) if t.value != "Набор"]),  # Набор only from 1.16
    weighed=st.none() | st.booleans(), marked=st.none() | st.booleans(),
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items, amount=decimals, number=texts, version=st.sampled_from(SUPPORTED_VERSIONS))
def test_property_model_xml_model_preserves_fields(item: Item, amount: Decimal, number: str, version: str) -> None:
    receipt = dataclasses.replace(
        SALE, receipt_number=number, operation=dataclasses.replace(SALE.operation, amount=amount),
        sales=[dataclasses.replace(SALE.sales[0], amount=amount,
                                   goods=dataclasses.replace(SALE.sales[0].goods, item=item))],
    )  # fmt: skip
    _, got = roundtrip([item, receipt], version)
    assert got == [project(item, version), project(receipt, version)]


def test_bound_classes_are_dataclasses() -> None:
    assert issubclass(Receipt, FormatObject) and issubclass(Receipt, Bound) and KEY == "КлючевыеСвойства/"
