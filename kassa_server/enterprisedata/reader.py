"""Streaming reader of exchange messages: header first, then one Body object at a time (``iterparse``).

Each object is validated against the strict XSD of the version named by the Body namespace, converted to its
dataclass and cleared from memory. Unknown object types and (in lenient mode) invalid objects are yielded as
:class:`UnknownObject` / :class:`InvalidObject` with their raw XML, so the caller can store them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from .binding import FormatObject, Parser
from .errors import EnvelopeError, FormatError, NestingTooDeep, SchemaViolation
from .header import Header, parse_header
from .objects import BY_WIRE_NAME, Deletion
from .schema import validator
from .versions import HEADER_NS, version_of_namespace
from .xmlsafe import guard_prolog, translate_syntax_error

log = logging.getLogger(__name__)
MAX_DEPTH = 64
HEADER_TAG = f"{{{HEADER_NS}}}Header"
#: the Body element names the reader gets events for (in any namespace; a foreign one is reported as unknown)
OBJECT_TAGS = [f"{{*}}{name}" for name in (*BY_WIRE_NAME, Deletion.wire_name)]


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
        self._events = etree.iterparse(
            guard_prolog(stream),
            events=("start", "end"),
            tag=[f"{{{HEADER_NS}}}Header", "{*}Body", *OBJECT_TAGS],
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
        )
        self._has_body = False
        self.header = self._read_header()

    @property
    def has_body(self) -> bool:
        return self._has_body

    def _next(self) -> tuple[str, etree._Element] | None:
        try:
            return next(self._events)  # type: ignore[no-any-return]
        except StopIteration:
            return None
        except etree.XMLSyntaxError as exc:
            raise translate_syntax_error(exc, self.max_depth) from exc

    def _root(self) -> etree._Element | None:
        return self._events.root  # type: ignore[no-any-return]

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
        schema = validator(self.version)
        parser = Parser(self.version, self.max_depth)
        while (item := self._next()) is not None:
            event, element = item
            if event != "end":
                continue
            if element is body:
                while len(body):  # unknown objects after the last known one
                    yield self._take_first(body, schema, parser)
                return
            if element.getparent() is not body:
                continue  # an object tag nested elsewhere: part of the enclosing element
            while body[0] is not element:  # unknown objects in front of this one
                yield self._take_first(body, schema, parser)
            yield self._take_first(body, schema, parser)

    def _take_first(self, body: etree._Element, schema: etree.XMLSchema, parser: Parser) -> BodyItem:
        element = body[0]
        try:
            return self._object(element, schema, parser)
        finally:
            del body[0]

    def _object(self, element: etree._Element, schema: etree.XMLSchema, parser: Parser) -> BodyItem:
        qname = etree.QName(element)
        type_name = qname.localname
        ref = _ref_of(element)
        cls = BY_WIRE_NAME.get(type_name)
        if qname.namespace != self._body_ns or (cls is None and type_name != Deletion.wire_name):
            _check_depth(element, 3, self.max_depth)
            reason = "unknown object type" if qname.namespace == self._body_ns else f"namespace {qname.namespace}"
            log.info("skipping %s %s (Ссылка %s)", reason, type_name, ref)
            return UnknownObject(type_name, ref, etree.tostring(element, encoding="UTF-8"), reason)
        if not schema.validate(element):
            _check_depth(element, 3, self.max_depth)
            error = schema.error_log.last_error
            return self._invalid(element, type_name, ref, f"line {error.line}: {error.message}", error.line)
        try:
            if cls is None:
                return _deletion(element)
            return parser.parse(element, cls, depth=3)
        except (ValueError, LookupError, FormatError) as exc:
            if isinstance(exc, NestingTooDeep):
                raise
            return self._invalid(element, type_name, ref, f"cannot convert: {exc}", element.sourceline)

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
