"""1C values built for the wire: ``v8:Structure``, ``v8:Array``, ``v8:ValueTable`` and typed ``Value`` elements, as
the platform serializer writes them (soap-services.md §2.2), and ``PrepareDataOperationResult`` (§4)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

from lxml import etree

from kassa_server.services.contract import EDE_TYPES, V8_CORE, XSI
from kassa_server.services.wire import WIRE_NSMAP


def typed_value(tag: str, value: Any) -> etree._Element:
    """``<tag xsi:type="xs:…">`` for a Python value, as the platform serializer writes it."""
    element = etree.Element(tag, nsmap=WIRE_NSMAP)
    if value is None:
        element.set(f"{{{XSI}}}nil", "true")
    elif isinstance(value, bool):
        element.set(f"{{{XSI}}}type", "xs:boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.set(f"{{{XSI}}}type", "xs:decimal")
        element.text = str(value)
    elif isinstance(value, decimal.Decimal):
        element.set(f"{{{XSI}}}type", "xs:decimal")
        element.text = format(value, "f")
    elif isinstance(value, dt.datetime):
        element.set(f"{{{XSI}}}type", "xs:dateTime")
        element.text = value.replace(microsecond=0).isoformat()
    elif isinstance(value, str):
        element.set(f"{{{XSI}}}type", "xs:string")
        element.text = value
    elif isinstance(value, ArrayValue):
        element.set(f"{{{XSI}}}type", "v8:Array")
        element.extend(typed_value(f"{{{V8_CORE}}}Value", item) for item in value.items)
    elif isinstance(value, TableValue):
        element.set(f"{{{XSI}}}type", "v8:ValueTable")
        element.extend(value.children())
    elif isinstance(value, StructureValue):
        element.set(f"{{{XSI}}}type", "v8:Structure")
        element.extend(structure(value.properties))
    else:
        raise TypeError(f"no 1C wire form for {type(value).__name__}")
    return element


class ArrayValue:
    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)


class TableValue:
    """A ``v8:ValueTable`` as the platform serializes one: ``column`` (``Name``, ``ValueType``), ``index``, ``row``.

    ``types`` are the columns' XML types (``xs:string``, ``xs:boolean``; ``ValueType`` is a ``TypeDescription``), and
    ``index`` the indexed columns (the core schema's ``ValueTableIndex``), as SSL31
    ``ОбменДаннымиXDTOСервер.ИнициализироватьТаблицуПоддерживаемыхОбъектовФормата`` builds its table.
    """

    def __init__(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        types: Sequence[str] | None = None,
        index: Sequence[str] = (),
    ) -> None:
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.types: list[str | None] = list(types) if types is not None else [None] * len(self.columns)
        self.index = list(index)

    def children(self) -> list[etree._Element]:
        out: list[etree._Element] = []
        for name, type_name in zip(self.columns, self.types, strict=True):
            column = etree.Element(f"{{{V8_CORE}}}column", nsmap=WIRE_NSMAP)
            etree.SubElement(column, f"{{{V8_CORE}}}Name").text = name
            value_type = etree.SubElement(column, f"{{{V8_CORE}}}ValueType")
            if type_name is not None:
                etree.SubElement(value_type, f"{{{V8_CORE}}}Type").text = type_name
                if type_name == "xs:string":  # ОписаниеТипов("Строка"): unlimited length [I]
                    qualifiers = etree.SubElement(value_type, f"{{{V8_CORE}}}StringQualifiers")
                    etree.SubElement(qualifiers, f"{{{V8_CORE}}}Length").text = "0"
                    etree.SubElement(qualifiers, f"{{{V8_CORE}}}AllowedLength").text = "Variable"
            out.append(column)
        if self.index:
            index = etree.Element(f"{{{V8_CORE}}}index")
            for name in self.index:
                etree.SubElement(index, f"{{{V8_CORE}}}column").text = name
            out.append(index)
        for row in self.rows:
            element = etree.Element(f"{{{V8_CORE}}}row")
            element.extend(typed_value(f"{{{V8_CORE}}}Value", value) for value in row)
            out.append(element)
        return out


class StructureValue:
    """A ``v8:Structure`` nested as a value (GetIBData's ``СвойстваОбъектаМетаданных``)."""

    def __init__(self, properties: Sequence[tuple[str, Any]]) -> None:
        self.properties = list(properties)


def structure(properties: Sequence[tuple[str, Any]]) -> list[etree._Element]:
    """Children of a ``v8:Structure``: ``Property name=…`` with one typed ``Value`` each, in the given order."""
    out = []
    for name, value in properties:
        prop = etree.Element(f"{{{V8_CORE}}}Property", name=name, nsmap=WIRE_NSMAP)
        prop.append(typed_value(f"{{{V8_CORE}}}Value", value))
        out.append(prop)
    return out


def array(items: Sequence[Any]) -> list[etree._Element]:
    return [typed_value(f"{{{V8_CORE}}}Value", item) for item in items]


def prepare_data_result(error_message: str, file_id: str, part_count: int, status: str) -> list[etree._Element]:
    """The four children of ``PrepareDataOperationResult``, always all present (soap-services.md §4.1)."""
    values = (("ErrorMessage", error_message), ("FileID", file_id), ("PartCount", str(part_count)), ("Status", status))
    out = []
    for name, text in values:
        element = etree.Element(f"{{{EDE_TYPES}}}{name}")
        element.text = text
        out.append(element)
    return out
