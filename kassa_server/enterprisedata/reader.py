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
from .xmlsafe import guard_prolog, map_lxml_errors

log = logging.getLogger(__name__)
MAX_DEPTH = 64


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
        self._events = etree.iterparse(
            guard_prolog(stream),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
        )
        self._depth = 0
        self._has_body = False
        self.header = self._read_header()

    @property
    def has_body(self) -> bool:
        return self._has_body

    def _next(self) -> tuple[str, etree._Element] | None:
        with map_lxml_errors():
            try:
                event, element = next(self._events)
            except StopIteration:
                return None
        if event == "start":
            self._depth += 1
            if self._depth > self.max_depth:
                raise NestingTooDeep(self.max_depth, element.sourceline)
        else:
            self._depth -= 1
        return event, element

    def _read_header(self) -> Header:
        first = self._next()
        if first is None or etree.QName(first[1]).localname != "Message":
            raise EnvelopeError("the root element is not Message")
        header: Header | None = None
        while (item := self._next()) is not None:
            event, element = item
            if event == "end" and self._depth == 1 and element.tag == f"{{{HEADER_NS}}}Header":
                header = parse_header(element)
                element.clear()
            elif event == "start" and self._depth == 2 and element.tag != f"{{{HEADER_NS}}}Header":
                if header is None:
                    raise EnvelopeError("msg:Header must be the first child of Message")
                if etree.QName(element).localname != "Body":
                    raise EnvelopeError(f"unexpected {etree.QName(element).localname} after msg:Header")
                self._body_ns = etree.QName(element).namespace or element.nsmap.get(None)
                if self._body_ns is None:
                    raise EnvelopeError("Body has no format namespace")
                self.version = version_of_namespace(self._body_ns)
                self._has_body = True
                return header
            elif event == "end" and self._depth == 0:
                break
        if header is None:
            raise EnvelopeError("the message has no msg:Header")
        return header

    def __iter__(self) -> Iterator[BodyItem]:
        if not self._has_body:
            return
        assert self.version is not None
        schema = validator(self.version)
        parser = Parser(self.version)
        while (item := self._next()) is not None:
            event, element = item
            if event != "end" or self._depth != 2:
                continue
            try:
                result = self._object(element, schema, parser)
            finally:
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]  # type: ignore[union-attr]
            if result is not None:
                yield result

    def _object(self, element: etree._Element, schema: etree.XMLSchema, parser: Parser) -> BodyItem | None:
        qname = etree.QName(element)
        type_name = qname.localname
        ref = _ref_of(element)
        if qname.namespace != self._body_ns:
            return UnknownObject(
                type_name, ref, etree.tostring(element, encoding="UTF-8"), f"namespace {qname.namespace}"
            )
        cls = BY_WIRE_NAME.get(type_name)
        if cls is None and type_name != Deletion.wire_name:
            log.info("skipping unknown object type %s (Ссылка %s)", type_name, ref)
            return UnknownObject(type_name, ref, etree.tostring(element, encoding="UTF-8"), "unknown object type")
        if not schema.validate(element):
            error = schema.error_log.last_error
            return self._invalid(element, type_name, ref, f"line {error.line}: {error.message}", error.line)
        try:
            if cls is None:
                return _deletion(element)
            return parser.parse(element, cls)
        except (ValueError, LookupError, FormatError) as exc:
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
