"""Schema-driven binding of the dataclasses in ``objects.py`` to the XML of one format version.

Every dataclass field names its wire location as one or more alternative paths of Russian property names
(``"КлючевыеСвойства/Ссылка"``, ``("ОбщиеСвойстваОбъектовФормата/Комментарий", "Комментарий")``). For a version, a
*plan* is compiled once per (class, schema type): the first alternative that exists in that version's type graph
wins, fields that exist nowhere in the version are dropped, and the plan lists the schema's elements **in schema
order**. Writing walks the plan (so order, presence and required properties come from the XSD); reading inverts it.

A top-level object referenced from another object is written as its key block: its fields under
``КлючевыеСвойства/`` bound to the ``КлючевыеСвойства*`` type found at that position.
Semantic differences that are not just names or positions are values that adapt to the schema type they meet
(:class:`TextAdapter`, e.g. a VAT rate is an enum ≤ 1.16 and a key block ≥ 1.17).

Plan nodes carry what the hot loops need precomputed (tags, required flag, nested plans per class, scalar
converters). :class:`TextEmitter` is the writer used by ``writer.py``; :class:`Emitter` builds the same object as
an lxml element and is the reference the text writer is tested against byte for byte. :class:`Parser` reads.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import logging
import re
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from lxml import etree

from .errors import MissingProperty, NestingTooDeep
from .schema import ComplexType, Element, SimpleType, TypeGraph, type_graph
from .xmlsafe import raw_parser

log = logging.getLogger(__name__)
KEY = "КлючевыеСвойства/"


class RawXml(bytes):
    """A property kept verbatim (``AdditionalInfo``, ``ДополнительныеРеквизиты``): the element's XML bytes."""


class TextAdapter(Protocol):
    """A value that is written as text when the schema has a simple type at its position."""

    def to_text(self, simple: SimpleType) -> str | None: ...

    @classmethod
    def from_text(cls, text: str) -> Any: ...


def wire(*paths: str, default: Any = None) -> Any:
    """A field bound to the first of ``paths`` that exists in the version."""
    return dataclasses.field(default=default, metadata={"wire": paths})


def wire_list(*paths: str) -> Any:
    return dataclasses.field(default_factory=list, metadata={"wire": paths})


class Bound:
    """Base of every bound dataclass; ``wire_types`` restricts the named schema types a class may be bound to."""

    wire_types: ClassVar[tuple[str, ...]] = ()


class FormatObject(Bound):
    """Base of the top-level objects; ``wire_name`` is the Body element / format type name."""

    wire_name: ClassVar[str] = ""


@dataclasses.dataclass(slots=True)
class Node:
    element: Element
    kind: str  # "group" | "scalar" | "object" | "adapter" | "raw"
    field: str | None = None
    py: Any = None
    is_list: bool = False
    simple: SimpleType | None = None
    complex: ComplexType | None = None
    key_only: bool = False
    children: list[Node] = dataclasses.field(default_factory=list)
    index: dict[str, Node] = dataclasses.field(default_factory=dict)
    # precomputed for the text writer and the reader (filled in __post_init__ / on first use)
    required: bool = dataclasses.field(init=False, default=False)
    open: str = dataclasses.field(init=False, default="")
    close: str = dataclasses.field(init=False, default="")
    empty: str = dataclasses.field(init=False, default="")
    plans: dict[type, Plan] = dataclasses.field(init=False, default_factory=dict)  # nested object class -> plan
    convert: Callable[[str], Any] | None = dataclasses.field(init=False, default=None)  # text -> scalar (reader)

    def __post_init__(self) -> None:
        name = self.element.name
        self.required = self.element.min_occurs > 0
        self.open, self.close, self.empty = f"<{name}>", f"</{name}>", f"<{name}/>"


@dataclasses.dataclass(slots=True)
class Plan:
    cls: type
    ctype: ComplexType
    nodes: list[Node]
    index: dict[str, Node]
    dropped: tuple[str, ...]  # fields that do not exist in this version


def _field_types(cls: type) -> dict[str, tuple[Any, bool]]:
    hints = typing.get_type_hints(cls)
    result = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        is_list = False
        if typing.get_origin(hint) is list:
            hint, is_list = typing.get_args(hint)[0], True
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        result[f.name] = (hint, is_list)
    return result


_field_types = functools.cache(_field_types)


def _is_bound(py: Any) -> bool:
    return isinstance(py, type) and issubclass(py, Bound)


def _fits(py: Any, target: ComplexType | SimpleType) -> bool:
    if py is RawXml:
        return True
    if _is_bound(py):
        if isinstance(target, SimpleType):
            return hasattr(py, "from_text")
        return not py.wire_types or (target.name or "").split("}")[-1] in py.wire_types
    return isinstance(target, SimpleType)


_PLANS: dict[tuple[str, type, int, bool], Plan] = {}


def compile_plan(graph: TypeGraph, cls: type, ctype: ComplexType, key_only: bool) -> Plan:
    """The plan of ``cls`` bound to ``ctype`` (types of a cached graph live forever, so their id is a stable key)."""
    key = (graph.version, cls, id(ctype), key_only)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _compile_plan(graph, cls, ctype, key_only)
    return plan


def _compile_plan(graph: TypeGraph, cls: type, ctype: ComplexType, key_only: bool) -> Plan:
    roots: dict[str, Node] = {}
    dropped = []
    for f in dataclasses.fields(cls):
        py, is_list = _field_types(cls)[f.name]
        for path in f.metadata["wire"]:
            if key_only:
                if not path.startswith(KEY):
                    continue
                path = path[len(KEY) :]
            resolved = _resolve(graph, ctype, path.split("/"), py)
            if resolved is not None:
                _insert(graph, roots, resolved, f.name, py, is_list)
                break
        else:
            if not key_only or any(p.startswith(KEY) for p in f.metadata["wire"]):
                dropped.append(f.name)
    nodes = _ordered(ctype, roots)
    return Plan(cls, ctype, nodes, {n.element.qname: n for n in nodes}, tuple(dropped))


def _resolve(graph: TypeGraph, ctype: ComplexType, segments: list[str], py: Any) -> list[Element] | None:
    chain = []
    current: ComplexType | SimpleType = ctype
    for i, segment in enumerate(segments):
        if not isinstance(current, ComplexType):
            return None
        element = current.by_name.get(segment)
        if element is None:
            return None
        chain.append(element)
        current = graph.element_type(element)
        if i < len(segments) - 1 and not isinstance(current, ComplexType):
            return None
    return chain if _fits(py, current) else None


def _insert(graph: TypeGraph, roots: dict[str, Node], chain: list[Element], name: str, py: Any, is_list: bool) -> None:
    level = roots
    for element in chain[:-1]:
        node = level.get(element.name)
        if node is None:
            target = graph.element_type(element)
            assert isinstance(target, ComplexType)
            node = level[element.name] = Node(element, "group", complex=target)
            node.index = {}
        level = node.index  # temporarily keyed by local name; fixed in _ordered
    element = chain[-1]
    target = graph.element_type(element)
    if py is RawXml:
        kind = "raw"
    elif _is_bound(py):
        kind = "adapter" if isinstance(target, SimpleType) else "object"
    else:
        kind = "scalar"
    node = Node(element, kind, field=name, py=py, is_list=is_list)
    if isinstance(target, SimpleType):
        node.simple = target
    else:
        node.complex = target
        node.key_only = _is_bound(py) and issubclass(py, FormatObject)
    level[element.name] = node


def _ordered(ctype: ComplexType, level: dict[str, Node]) -> list[Node]:
    nodes = [level[e.name] for e in ctype.elements if e.name in level]
    for node in nodes:
        if node.kind == "group":
            assert node.complex is not None
            node.children = _ordered(node.complex, node.index)
            node.index = {c.element.qname: c for c in node.children}
    return nodes


# --- values -------------------------------------------------------------------------------------------------------


def format_scalar(value: Any, simple: SimpleType) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if simple.primitive == "date":
            return value.date().isoformat()
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def parse_scalar(text: str, py: Any, simple: SimpleType) -> Any:
    text = text.strip() if py is not str else text
    if py is str:
        return text
    if py is bool:
        return text in ("true", "1")
    if py is Decimal:
        return Decimal(text)
    if py is int:
        return int(text)
    if py is datetime:
        if simple.primitive == "date":
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text)
    if py is date:
        return date.fromisoformat(text[:10])
    if py is uuid.UUID:
        return uuid.UUID(text)
    if isinstance(py, type) and issubclass(py, enum.Enum):
        return py(text)
    return text


# --- writing ------------------------------------------------------------------------------------------------------


class Emitter:
    """Builds the element of one object for one version, following the compiled plans."""

    def __init__(self, version: str) -> None:
        self.graph = type_graph(version)
        self.version = version
        self.object_type = ""

    def build(self, obj: FormatObject) -> etree._Element:
        ctype = self.graph.object_type(obj.wire_name)
        if ctype is None:
            raise KeyError(f"{obj.wire_name} does not exist in version {self.version}")
        self.object_type = obj.wire_name
        root = etree.Element(f"{{{self.graph.namespace}}}{obj.wire_name}", nsmap={None: self.graph.namespace})
        plan = compile_plan(self.graph, type(obj), ctype, key_only=False)
        self._emit(root, obj, plan.nodes, obj.wire_name)
        return root

    def _emit(self, parent: etree._Element, obj: Any, nodes: list[Node], path: str) -> None:
        for node in nodes:
            name = node.element.name
            if node.kind == "group":
                if _has_value(obj, node):
                    self._emit(etree.SubElement(parent, node.element.qname), obj, node.children, f"{path}/{name}")
                elif node.required:
                    raise MissingProperty(self.object_type, f"{path}/{name}", self.version)
                continue
            value = getattr(obj, node.field)  # type: ignore[arg-type]
            values = value if isinstance(value, list) else ([] if value is None else [value])
            written = 0
            for item in values:
                written += self._emit_value(parent, node, item, f"{path}/{name}")
                if not node.is_list:
                    break
            if not written and node.required:
                raise MissingProperty(self.object_type, f"{path}/{name}", self.version)

    def _emit_value(self, parent: etree._Element, node: Node, value: Any, path: str) -> int:
        kind = node.kind
        if kind == "scalar":
            assert node.simple is not None
            text = format_scalar(value, node.simple)
            if node.simple.enumeration is not None and text not in node.simple.enumeration:
                log.info("%s: %r is not a value of version %s, omitted", path, text, self.version)
                return 0
            etree.SubElement(parent, node.element.qname).text = text
            return 1
        if kind == "adapter":
            assert node.simple is not None
            adapted = value.to_text(node.simple)
            if adapted is None:
                log.info("%s: %r cannot be expressed in version %s, omitted", path, value, self.version)
                return 0
            etree.SubElement(parent, node.element.qname).text = adapted
            return 1
        if kind == "raw":
            parent.append(_retag(etree.fromstring(bytes(value), _raw_parser()), node.element.qname))
            return 1
        assert node.complex is not None
        plan = compile_plan(self.graph, type(value), node.complex, node.key_only)
        sub = etree.SubElement(parent, node.element.qname)
        self._emit(sub, value, plan.nodes, path)
        return 1


SPILL_PARTS = 1 << 16


class TextEmitter:
    """Writes the markup of one object of one version as text parts, following the same compiled plans as
    :class:`Emitter` and producing the same bytes as lxml serializing :meth:`Emitter.build` (tested), without
    building a tree: tags are precomputed per plan node, text is escaped as libxml2 escapes it.

    The caller joins the parts and must pass the joined text through :func:`check_xml_chars` before writing it.
    """

    def __init__(self, version: str) -> None:
        self.graph = type_graph(version)
        self.version = version
        self.object_type = ""
        self._roots: dict[type, tuple[str, str, str, list[Node]]] = {}
        #: called with the parts so far when a list inside one object has produced SPILL_PARTS of them
        self.spill: Callable[[list[str]], None] | None = None

    def emit(self, obj: FormatObject, out: list[str]) -> None:
        cls = type(obj)
        root = self._roots.get(cls)
        if root is None:
            ctype = self.graph.object_type(obj.wire_name)
            if ctype is None:
                raise KeyError(f"{obj.wire_name} does not exist in version {self.version}")
            name, ns = obj.wire_name, self.graph.namespace
            plan = compile_plan(self.graph, cls, ctype, key_only=False)
            root = self._roots[cls] = (f'<{name} xmlns="{ns}">', f"</{name}>", f'<{name} xmlns="{ns}"/>', plan.nodes)
        self.object_type = obj.wire_name
        start = len(out)
        out.append(root[0])
        self._emit(out, obj, root[3], obj.wire_name)
        if len(out) == start + 1:
            out[start] = root[2]
        else:
            out.append(root[1])

    def _emit(self, out: list[str], obj: Any, nodes: list[Node], path: str) -> None:
        # the hot loop of writing: one iteration per property, so the dispatch on the node kind is inlined
        for node in nodes:
            kind = node.kind
            if kind == "group":
                if _has_value(obj, node):
                    start = len(out)
                    out.append(node.open)
                    self._emit(out, obj, node.children, f"{path}/{node.element.name}")
                    if len(out) == start + 1:
                        out[start] = node.empty
                    else:
                        out.append(node.close)
                elif node.required:
                    raise MissingProperty(self.object_type, f"{path}/{node.element.name}", self.version)
                continue
            value = getattr(obj, node.field)  # type: ignore[arg-type]
            if value is None:
                if node.required:
                    raise MissingProperty(self.object_type, f"{path}/{node.element.name}", self.version)
                continue
            items = value if type(value) is list else (value,)
            if not node.is_list:
                items = items[:1]
            written = False
            for item in items:
                if kind == "scalar":
                    simple = node.simple
                    assert simple is not None
                    item_type = type(item)
                    safe = item_type in _SAFE_FORMATS
                    if item_type is str:
                        text = item
                    elif safe:
                        text = _SAFE_FORMATS[item_type](item)
                    else:
                        text = format_scalar(item, simple)
                    if simple.enumeration is not None and text not in simple.enumeration:
                        log.info("%s/%s: %r is not a value of version %s, omitted", path, node.element.name, text,
                                 self.version)  # fmt: skip
                        continue
                    out.append(node.open)
                    out.append(text if safe else escape_text(text))
                    out.append(node.close)
                elif kind == "object":
                    cls = type(item)
                    plan = node.plans.get(cls)
                    if plan is None:
                        assert node.complex is not None
                        plan = node.plans[cls] = compile_plan(self.graph, cls, node.complex, node.key_only)
                    start = len(out)
                    out.append(node.open)
                    self._emit(out, item, plan.nodes, f"{path}/{node.element.name}")
                    if len(out) == start + 1:
                        out[start] = node.empty
                    else:
                        out.append(node.close)
                    if len(out) >= SPILL_PARTS and self.spill is not None:
                        self.spill(out)
                elif kind == "adapter":
                    assert node.simple is not None
                    adapted = item.to_text(node.simple)
                    if adapted is None:
                        log.info("%s/%s: %r cannot be expressed in version %s, omitted", path, node.element.name,
                                 item, self.version)  # fmt: skip
                        continue
                    out.append(node.open)
                    out.append(escape_text(adapted))
                    out.append(node.close)
                else:
                    out.append(self._raw(node, item))
                written = True
            if not written and node.required:
                raise MissingProperty(self.object_type, f"{path}/{node.element.name}", self.version)

    def _raw(self, node: Node, value: RawXml) -> str:
        """A verbatim property: parsed (which checks it), moved into this version's namespace and serialized by
        lxml inside a wrapper that declares the default namespace, as the object's own element does."""
        ns = self.graph.namespace
        wrapper = etree.Element(f"{{{ns}}}w", nsmap={None: ns})
        wrapper.append(_retag(etree.fromstring(bytes(value), _raw_parser()), node.element.qname))
        text = etree.tostring(wrapper, encoding="unicode")
        head = f'<w xmlns="{ns}">'
        assert text.startswith(head) and text.endswith("</w>"), text
        return text[len(head) : -len("</w>")]


#: exact value types whose text never needs escaping, formatted as :func:`format_scalar` formats them
_SAFE_FORMATS: dict[type, Callable[[Any], str]] = {
    uuid.UUID: str,
    Decimal: lambda value: format(value, "f"),
    bool: lambda value: "true" if value else "false",
    int: str,
}


def escape_text(text: str) -> str:
    """Escape character data exactly as libxml2 serializes a text node (``&``, ``<``, ``>``, CR)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_xml_chars(text: str) -> None:
    """Refuse control characters that XML 1.0 cannot carry (lxml refuses them the same way)."""
    if _NOT_XML.search(text) is not None:
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")


_raw_parser = functools.cache(raw_parser)
"""One parser for the raw fragments, built by ``xmlsafe``."""


def _has_value(obj: Any, group: Node) -> bool:
    for node in group.children:
        if node.kind == "group":
            if _has_value(obj, node):
                return True
        elif getattr(obj, node.field) not in (None, []):  # type: ignore[arg-type]
            return True
    return False


def _retag(element: etree._Element, qname: str) -> etree._Element:
    """Move a verbatim element (read in another version) into ``qname``'s namespace."""
    ns = qname[1:].split("}")[0]
    element.tag = qname
    for child in element.iterdescendants(etree.Element):
        child.tag = f"{{{ns}}}{etree.QName(child).localname}"
    etree.cleanup_namespaces(element)
    return element


# --- reading ------------------------------------------------------------------------------------------------------


class Parser:
    """Turns the element of one object of one version into its dataclass.

    ``max_depth`` bounds the nesting below the object's element (recursive key blocks such as a group's parent
    group can nest a valid object arbitrarily deep).
    """

    def __init__(self, version: str, max_depth: int = 64) -> None:
        self.graph = type_graph(version)
        self.version = version
        self.max_depth = max_depth
        self._roots: dict[type, Plan] = {}

    def parse(self, element: etree._Element, cls: type[FormatObject], depth: int = 1) -> FormatObject:
        return self._make(element, self.plan_of(cls), depth)

    def plan_of(self, cls: type[FormatObject]) -> Plan:
        plan = self._roots.get(cls)
        if plan is None:
            ctype = self.graph.object_type(cls.wire_name)
            assert ctype is not None
            plan = self._roots[cls] = compile_plan(self.graph, cls, ctype, key_only=False)
        return plan

    def _make(self, element: etree._Element, plan: Plan, depth: int) -> Any:
        values: dict[str, Any] = {}
        self._fill(element, plan.index, values, depth + 1)
        return plan.cls(**values)

    def make_row(self, element: etree._Element, node: Node, depth: int) -> Any:
        """The value of one element bound to ``node`` (a list row read on its own)."""
        assert node.kind == "object" and node.complex is not None
        plan = node.plans.get(node.py)
        if plan is None:
            plan = node.plans[node.py] = compile_plan(self.graph, node.py, node.complex, node.key_only)
        return self._make(element, plan, depth)

    def _fill(self, element: etree._Element, index: dict[str, Node], values: dict[str, Any], depth: int) -> None:
        # the hot loop of reading: one iteration per element, so the dispatch is inlined
        if depth > self.max_depth:
            raise NestingTooDeep(self.max_depth, element.sourceline)
        for child in element:
            node = index.get(child.tag)
            if node is None:
                continue
            kind = node.kind
            if kind == "scalar":
                convert = node.convert
                if convert is None:
                    assert node.simple is not None
                    convert = node.convert = scalar_converter(node.py, node.simple)
                value = convert(child.text or "")
            elif kind == "object":
                plan = node.plans.get(node.py)
                if plan is None:
                    assert node.complex is not None
                    plan = node.plans[node.py] = compile_plan(self.graph, node.py, node.complex, node.key_only)
                fields: dict[str, Any] = {}
                self._fill(child, plan.index, fields, depth + 1)
                value = plan.cls(**fields)
            elif kind == "group":
                self._fill(child, node.index, values, depth + 1)
                continue
            elif kind == "adapter":
                value = node.py.from_text(child.text or "")
            else:
                value = RawXml(etree.tostring(child, encoding="UTF-8"))
            if node.is_list:
                found = values.get(node.field)  # type: ignore[arg-type]
                if found is None:
                    values[node.field] = [value]  # type: ignore[index]
                else:
                    found.append(value)
            else:
                values[node.field] = value  # type: ignore[index]


def scalar_converter(py: Any, simple: SimpleType) -> Callable[[str], Any]:
    """A function doing what :func:`parse_scalar` does for ``py`` and ``simple``, with the dispatch done once."""
    if py is str:
        return _same
    if py is Decimal:
        return lambda text: Decimal(text.strip())
    if py is int:
        return lambda text: int(text.strip())
    if py is uuid.UUID:
        return lambda text: uuid.UUID(text.strip())
    return functools.partial(_parse_scalar_kw, py=py, simple=simple)


def _same(text: str) -> str:
    return text


def _parse_scalar_kw(text: str, *, py: Any, simple: SimpleType) -> Any:
    return parse_scalar(text, py, simple)


def dropped_fields(version: str, obj: FormatObject) -> tuple[str, ...]:
    """Fields of the top-level class that do not exist in ``version`` (for diagnostics and tests)."""
    graph = type_graph(version)
    ctype = graph.object_type(obj.wire_name)
    assert ctype is not None
    return compile_plan(graph, type(obj), ctype, key_only=False).dropped
