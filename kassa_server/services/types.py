"""spyne models of the wire types, spelled as 1C spells them (soap-services.md §2.2), and the SOAP protocols.

Complex 1C values (``v8:Structure``, ``v8:Array``, ``d:PrepareDataOperationResult``) are ``XmlContent``: the handler
builds the element's children with lxml (``Property``/``Value`` with ``xsi:type``), which spyne places verbatim. On
input, ``XmlContent`` hands the whole element to the handler.
"""

from __future__ import annotations

import binascii
import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

from lxml import etree
from spyne import AnyXml, Boolean, ByteArray, Decimal, Fault, Integer32, Unicode
from spyne.protocol import ProtocolBase
from spyne.protocol.soap import Soap11, Soap12

from kassa_server.services.contract import EDE_TYPES, V8_CORE, XS, XSI

WIRE_NSMAP = {"xs": XS, "xsi": XSI, "v8": V8_CORE}


def _out(cls: Any, nillable: bool) -> Any:
    # min_occurs=1: spyne writes xsi:nil for None instead of dropping the element (soap-services.md §2: 1..1).
    return cls.customize(min_occurs=1, nillable=nillable)


class V8UUID(Unicode):
    __type_name__ = "UUID"
    __namespace__ = V8_CORE


class V8ValueStorage(ByteArray):
    __type_name__ = "ValueStorage"
    __namespace__ = V8_CORE


class XmlContent(AnyXml):
    """An element whose children the handler builds; the value is a sequence of lxml elements."""


class V8Structure(XmlContent):
    __type_name__ = "Structure"
    __namespace__ = V8_CORE


class V8Array(XmlContent):
    __type_name__ = "Array"
    __namespace__ = V8_CORE


class PrepareDataOperationResult(XmlContent):
    __type_name__ = "PrepareDataOperationResult"
    __namespace__ = EDE_TYPES


# Request element types (nillability of inputs only matters in the WSDL, which contract.py owns).
String = Unicode
Bool = Boolean
Int = Integer32
Dec = Decimal
Base64 = ByteArray


def out_string(nillable: bool = True) -> Any:
    return _out(Unicode, nillable)


def out_bool() -> Any:
    return _out(Boolean, False)


def out_int() -> Any:
    return _out(Integer32, False)


def out_uuid() -> Any:
    return _out(V8UUID, False)


def out_base64(nillable: bool = True) -> Any:
    return _out(ByteArray, nillable)


def out_storage() -> Any:
    return _out(V8ValueStorage, True)


def out_content(cls: Any) -> Any:
    return _out(cls, False)


# -- building values


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
        self.types = list(types) if types is not None else [None] * len(self.columns)
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


def bytes_of(value: Any) -> bytes:
    """spyne hands base64 values over as a sequence of chunks."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return b"".join(value)


# -- protocols

EMPTY_REQUEST = "Пустой запрос: ожидается SOAP-конверт (Envelope) с вызовом операции в Body."  # [I]
EMPTY_BODY = "В теле SOAP-конверта (Body) нет вызова операции."  # [I]
FAULT_AS_REQUEST = "Запрос содержит SOAP Fault вместо вызова операции."  # [I]
INVALID_BASE64 = "Значение элемента {name} не является корректными данными base64."  # [I]
FORBIDDEN_DTD = "Запрос содержит DTD: объявления DTD и сущностей запрещены."  # [I]


def _russian_fault(code: str, text: str) -> Fault:
    return Fault(code, text, lang="ru")


class _KassaXmlMixin:
    """Hardened parsing (no DTD, no entities, no network; large text nodes allowed) and ``XmlContent``."""

    serialization_handlers: Any
    deserialization_handlers: Any
    parser_kwargs: dict[str, Any]

    def _install(self) -> None:
        self.serialization_handlers[XmlContent] = self._xml_content_to_parent
        self.deserialization_handlers[XmlContent] = self._xml_content_from_element
        self.parser_kwargs.update(
            huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
        )

    def _xml_content_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, name: str, **_: Any) -> None:
        element = etree.Element(f"{{{ns}}}{name}", nsmap=WIRE_NSMAP)
        element.extend(inst)
        parent.append(element)

    def _xml_content_from_element(self, ctx: Any, cls: Any, element: etree._Element) -> etree._Element:
        return element

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        # spyne fails with a bare StopIteration (an HTTP 500 without a Fault) on an empty body
        chunks = [chunk for chunk in (ctx.in_string or ()) if chunk]
        if not any(chunk.strip() for chunk in chunks):
            raise _russian_fault("Client.SoapError", EMPTY_REQUEST)
        ctx.in_string = chunks
        super().create_in_document(ctx, charset)  # type: ignore[misc]
        root = ctx.in_document[0]
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise _russian_fault("Client.XmlForbidden", FORBIDDEN_DTD)

    def decompose_incoming_envelope(self, ctx: Any, message: Any = ProtocolBase.REQUEST) -> None:
        # spyne fails with an AttributeError on an empty Body and answers a Fault sent as a request with that Fault
        envelope = ctx.in_document[0]
        ns_env: str = self.ns_soap_env  # type: ignore[attr-defined]
        body = envelope.find(f"{{{ns_env}}}Body") if envelope.tag == f"{{{ns_env}}}Envelope" else None
        if body is not None:
            operation = next((child for child in body if isinstance(child.tag, str)), None)
            if operation is None:
                raise _russian_fault("Client.SoapError", EMPTY_BODY)
            if operation.tag == f"{{{ns_env}}}Fault":
                raise _russian_fault("Client.SoapError", FAULT_AS_REQUEST)
        super().decompose_incoming_envelope(ctx, message)  # type: ignore[misc]

    def byte_array_from_element(self, ctx: Any, cls: Any, element: etree._Element) -> Any:
        try:
            return super().byte_array_from_element(ctx, cls, element)  # type: ignore[misc]
        except binascii.Error:
            name = etree.QName(element).localname
            raise _russian_fault("Client.ValidationError", INVALID_BASE64.format(name=name)) from None


class KassaSoap11(_KassaXmlMixin, Soap11):
    def __init__(self) -> None:
        Soap11.__init__(self, cleanup_namespaces=False)
        self._install()


class KassaSoap12(_KassaXmlMixin, Soap12):
    def __init__(self) -> None:
        Soap12.__init__(self, cleanup_namespaces=False)
        self._install()
