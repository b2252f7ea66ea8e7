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
    else:
        raise TypeError(f"no 1C wire form for {type(value).__name__}")
    return element


class ArrayValue:
    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)


class TableValue:
    """A ``v8:ValueTable``: ``column`` elements (``Name``, ``ValueType``), then ``row``s of ``Value`` (§2.2 [I])."""

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]

    def children(self) -> list[etree._Element]:
        out: list[etree._Element] = []
        for name in self.columns:
            column = etree.Element(f"{{{V8_CORE}}}column")
            etree.SubElement(column, f"{{{V8_CORE}}}Name").text = name
            etree.SubElement(column, f"{{{V8_CORE}}}ValueType")
            out.append(column)
        for row in self.rows:
            element = etree.Element(f"{{{V8_CORE}}}row")
            element.extend(typed_value(f"{{{V8_CORE}}}Value", value) for value in row)
            out.append(element)
        return out


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
