"""Streaming reader of exchange messages: header first, then one Body object at a time (``iterparse``).

Each object is validated against the strict XSD of the version named by the Body namespace, converted to its
dataclass and removed from the tree. Unknown object types and (in lenient mode) invalid objects are yielded as
:class:`UnknownObject` / :class:`InvalidObject` with their raw XML, so the caller can store them.

How it stays fast and bounded (``benchmarks/README.md``):

* lxml only reports events for ``msg:Header``, ``Body``, the known object types and table rows (``Строка``); the
  elements inside an object cost no Python work until the object is complete. An unknown object type has no event
  of its own: it is a Body child left in front of the next known object, or of the Body's end.
* A table of more than ``STREAM_ROWS`` rows (a price list of 100k goods) is read row by row: each further row is
  validated on its own against its named row type (``schema.fragment_validator``), converted and dropped, and the
  rest of the object is validated when it ends. Consequence: for such an object, lenient mode's
  ``InvalidObject.raw`` holds the object without the rows already read, and the first violation reported may be
  in a later row than an earlier violation outside the table.
* Nesting is bounded by libxml2 (256 levels, reported as :class:`NestingTooDeep`), by the converter for valid
  objects (recursive key blocks) and by a walk of the header and of unknown and invalid objects (``max_depth``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from .binding import FormatObject, Node, Parser
from .errors import EnvelopeError, FormatError, NestingTooDeep, SchemaViolation
from .header import Header, parse_header
from .objects import BY_WIRE_NAME, Deletion
from .schema import fragment_validator
from .versions import HEADER_NS, version_of_namespace
from .xmlsafe import iterparse, reject_dtd, translate_syntax_error

log = logging.getLogger(__name__)
MAX_DEPTH = 64
#: rows of one table kept in the object's tree; later rows are validated, converted and dropped one by one
STREAM_ROWS = 256
ROW_SUFFIX = "}Строка"
HEADER_TAG = f"{{{HEADER_NS}}}Header"
#: the Body element names the reader gets events for (in any namespace; a foreign one is reported as unknown)
OBJECT_TAGS = [f"{{*}}{name}" for name in (*BY_WIRE_NAME, Deletion.wire_name)] + ["{*}Строка"]


@dataclass(slots=True)
class UnknownObject:
    """A Body element whose type this library does not model (reported and skipped)."""

    type_name: str
    ref: str | None
    raw: bytes
    reason: str


@dataclass(slots=True)
class InvalidObject:
    """A Body object that failed validation or conversion (lenient mode only)."""

    type_name: str
    ref: str | None
    raw: bytes
    reason: str


BodyItem = FormatObject | Deletion | UnknownObject | InvalidObject


@dataclass(slots=True)
class _Streamed:
    """Rows of the object being read that were validated and converted on their own (see ``STREAM_ROWS``)."""

    element: etree._Element
    counts: dict[str, int] = field(default_factory=dict)  # table tag -> rows seen
    rows: dict[str, list[Any]] = field(default_factory=dict)  # field name -> converted rows
    nodes: dict[str, Node | None] = field(default_factory=dict)  # table tag -> plan node of its rows
    invalid: tuple[str, int | None] | None = None  # the first violation among the rows


class MessageReader:
    """Reads ``.header`` on construction; iterating yields the Body items. Use as a context manager or call close()."""

    def __init__(self, stream: IO[bytes], *, strict: bool = True, max_depth: int = MAX_DEPTH) -> None:
        self.strict = strict
        self.max_depth = max_depth
        self.version: str | None = None
        self._body_ns: str | None = None
        self._body: etree._Element | None = None
        # Events only for the envelope and the known object types (filtered inside lxml): the elements within an
        # object cost no Python work until the object is complete. Unknown object types get no event of their own;
        # they are the Body children left in front of the next known object (or of the Body's end).
        self._events = iterparse(
            stream, events=("start", "end"), tag=[f"{{{HEADER_NS}}}Header", "{*}Body", *OBJECT_TAGS]
        )
        self._prolog_checked = False
        self._has_body = False
        self._streamed: _Streamed | None = None
        self.header = self._read_header()

    @property
    def has_body(self) -> bool:
        return self._has_body

    def _next(self) -> tuple[str, etree._Element] | None:
        try:
            item = next(self._events)
        except StopIteration:
            return None
        except etree.XMLSyntaxError as exc:
            raise translate_syntax_error(exc, self.max_depth, self._events.error_log) from exc
        if not self._prolog_checked:
            self._prolog_checked = True
            reject_dtd(item[1])
        return item

    def _root(self) -> etree._Element | None:
        return self._events.root

    def _read_header(self) -> Header:
        header: Header | None = None
        while (item := self._next()) is not None:
            event, element = item
            root = element.getroottree().getroot()
            if etree.QName(root).localname != "Message":
                raise EnvelopeError("the root element is not Message")
            if element.getparent() is not root:
                continue
            if event == "end" and element.tag == HEADER_TAG:
                _check_depth(element, 2, self.max_depth)
                header = parse_header(element)
                element.clear()
            elif event == "start" and element.tag != HEADER_TAG:
                self._check_envelope(root, until=element)
                self._body_ns = etree.QName(element).namespace or element.nsmap.get(None)
                if self._body_ns is None:
                    raise EnvelopeError("Body has no format namespace")
                self.version = version_of_namespace(self._body_ns)
                self._has_body = True
                self._body = element
                assert header is not None
                return header
        root = self._root()
        if root is None or etree.QName(root).localname != "Message":
            raise EnvelopeError("the root element is not Message")
        self._check_envelope(root, until=None)
        if header is None:
            raise EnvelopeError("the message has no msg:Header")
        return header

    @staticmethod
    def _check_envelope(root: etree._Element, until: etree._Element | None) -> None:
        """Message's children before ``until`` (the Body) must be exactly msg:Header."""
        seen_header = False
        for child in root.iterchildren(etree.Element):
            if child is until:
                break
            if child.tag == HEADER_TAG and not seen_header:
                seen_header = True
                continue
            if not seen_header:
                raise EnvelopeError("msg:Header must be the first child of Message")
            raise EnvelopeError(f"unexpected {etree.QName(child).localname} after msg:Header")
        if until is not None:
            if not seen_header:
                raise EnvelopeError("msg:Header must be the first child of Message")
            if etree.QName(until).localname != "Body":
                raise EnvelopeError(f"unexpected {etree.QName(until).localname} after msg:Header")

    def __iter__(self) -> Iterator[BodyItem]:
        if not self._has_body:
            return
        assert self.version is not None and self._body is not None
        body = self._body
        schema = fragment_validator(self.version)  # the strict schema plus row types: one compiled schema
        parser = Parser(self.version, self.max_depth)
        while (item := self._next()) is not None:
            event, element = item
            if event != "end":
                continue
            if element is body:
                while len(body):  # unknown objects after the last known one
                    yield self._take_first(body, schema, parser)
                return
            parent = element.getparent()
            if parent is not body:
                if element.tag.endswith(ROW_SUFFIX):
                    self._row(element, parent, body, parser)
                continue  # otherwise an object tag nested elsewhere: part of the enclosing element
            while body[0] is not element:  # unknown objects in front of this one
                yield self._take_first(body, schema, parser)
            yield self._take_first(body, schema, parser)

    def _row(self, row: etree._Element, table: etree._Element | None, body: etree._Element, parser: Parser) -> None:
        """A table row of an object still being read: past ``STREAM_ROWS`` rows, validate and convert it alone and
        drop its element, so a huge document (a price list of 100k rows) never sits in memory as a tree."""
        if table is None:
            return
        obj = table.getparent()
        if obj is None or obj.getparent() is not body:
            return
        state = self._streamed
        if state is None or state.element is not obj:
            state = self._streamed = _Streamed(obj)
        count = state.counts.get(table.tag, 0) + 1
        state.counts[table.tag] = count
        if count <= STREAM_ROWS:
            return
        if table.tag in state.nodes:
            node = state.nodes[table.tag]
        else:
            node = state.nodes[table.tag] = self._row_node(obj, table, row, parser)
        if node is None:
            return
        if state.invalid is None:
            type_name = etree.QName(obj).localname
            assert node.element.type_name is not None
            tag, row.tag = row.tag, node.element.type_name
            valid = fragment_validator(self.version or "").validate(row)
            row.tag = tag
            if not valid:
                error = fragment_validator(self.version or "").error_log.last_error
                state.invalid = (f"line {error.line}: {error.message.replace(node.element.type_name, tag)}", error.line)
            else:
                try:
                    state.rows.setdefault(node.field or "", []).append(parser.make_row(row, node, depth=5))
                except (ValueError, LookupError, FormatError) as exc:
                    if isinstance(exc, NestingTooDeep):
                        raise
                    state.invalid = (f"cannot convert: {exc}", row.sourceline)
            if state.invalid is not None and self.strict:
                raise SchemaViolation(type_name, _ref_of(obj), state.invalid[0], state.invalid[1])
        table.remove(row)

    def _row_node(self, obj: etree._Element, table: etree._Element, row: etree._Element, parser: Parser) -> Node | None:
        """The plan node of a row of ``table`` in ``obj`` when it can be read alone (a named row type), else None."""
        qname = etree.QName(obj)
        cls = BY_WIRE_NAME.get(qname.localname)
        if cls is None or qname.namespace != self._body_ns:
            return None
        group = parser.plan_of(cls).index.get(table.tag)
        node = None if group is None or group.kind != "group" else group.index.get(row.tag)
        if node is None or node.kind != "object" or not node.is_list or node.element.type_name is None:
            return None
        return node

    def _take_first(self, body: etree._Element, schema: etree.XMLSchema, parser: Parser) -> BodyItem:
        element = body[0]
        streamed = self._streamed if self._streamed is not None and self._streamed.element is element else None
        self._streamed = None
        try:
            result = self._object(element, schema, parser)
            if streamed is not None and streamed.invalid is not None:
                type_name = etree.QName(element).localname
                return self._invalid(element, type_name, _ref_of(element), *streamed.invalid)
            if streamed is not None and isinstance(result, FormatObject):
                for field, rows in streamed.rows.items():
                    getattr(result, field).extend(rows)
            return result
        finally:
            del body[0]

    def _object(self, element: etree._Element, schema: etree.XMLSchema, parser: Parser) -> BodyItem:
        qname = etree.QName(element)
        type_name = qname.localname
        cls = BY_WIRE_NAME.get(type_name)
        if qname.namespace != self._body_ns or (cls is None and type_name != Deletion.wire_name):
            _check_depth(element, 3, self.max_depth)
            ref = _ref_of(element)
            reason = "unknown object type" if qname.namespace == self._body_ns else f"namespace {qname.namespace}"
            log.info("skipping %s %s (Ссылка %s)", reason, type_name, ref)
            return UnknownObject(type_name, ref, etree.tostring(element, encoding="UTF-8"), reason)
        if not schema.validate(element):
            _check_depth(element, 3, self.max_depth)
            error = schema.error_log.last_error
            reason = f"line {error.line}: {error.message}"
            return self._invalid(element, type_name, _ref_of(element), reason, error.line)
        try:
            if cls is None:
                return _deletion(element)
            return parser.parse(element, cls, depth=3)
        except (ValueError, LookupError, FormatError) as exc:
            if isinstance(exc, NestingTooDeep):
                raise
            return self._invalid(element, type_name, _ref_of(element), f"cannot convert: {exc}", element.sourceline)

    def _invalid(
        self, element: etree._Element, type_name: str, ref: str | None, reason: str, line: int | None
    ) -> BodyItem:
        if self.strict:
            raise SchemaViolation(type_name, ref, reason, line)
        log.warning("skipping invalid %s (Ссылка %s): %s", type_name, ref, reason)
        return InvalidObject(type_name, ref, etree.tostring(element, encoding="UTF-8"), reason)

    _owned: IO[bytes] | None = None

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> MessageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_depth(element: etree._Element, depth: int, limit: int) -> None:
    """Raise :class:`NestingTooDeep` when ``element`` (at ``depth``, the root being 1) nests beyond ``limit``."""
    level = [(element, depth)]
    while level:
        node, at = level.pop()
        if at > limit:
            raise NestingTooDeep(limit, node.sourceline)
        level.extend((child, at + 1) for child in node.iterchildren(etree.Element))


def _ref_of(element: etree._Element) -> str | None:
    for child in element:
        if etree.QName(child).localname == "КлючевыеСвойства":
            for key in child:
                if etree.QName(key).localname == "Ссылка":
                    return (key.text or "").strip()
    return None


def _deletion(element: etree._Element) -> Deletion:
    choice = element[0][0][0]
    name = etree.QName(choice).localname
    target = next((cls for cls in BY_WIRE_NAME.values() if cls.wire_name.split(".", 1)[1] + "Ссылка" == name), None)
    if target is None:
        raise LookupError(f"deletion of an unsupported type {name}")
    return Deletion(target, uuid.UUID((choice.text or "").strip()))


def read_message(source: IO[bytes] | str | Path, *, strict: bool = True) -> MessageReader:
    """Open a message for streaming; ``source`` is a binary stream or a path (opened and owned by the reader)."""
    if isinstance(source, str | Path):
        stream = open(source, "rb")  # noqa: SIM115 - closed with the reader
        reader = MessageReader(stream, strict=strict)
        reader._owned = stream
        return reader
    return MessageReader(source, strict=strict)
