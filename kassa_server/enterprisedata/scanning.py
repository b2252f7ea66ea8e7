"""A streaming walk over the top-level elements of a message, for the offline tools (validate, show, diff).

Unlike :mod:`.reader`, nothing is converted or judged here: the walk hands over ``msg:Header``, ``Body`` and each
Body object as an lxml element, one at a time, and drops it afterwards. Besides a whole message (root ``Message``)
it accepts a bare ``Body`` or a single object as the root. Speed and memory follow the reader's design: lxml reports
events only for the envelope, every top-level type of any supported version and table rows (``Строка``); a row
of a huge table can be taken over by ``on_row`` (validated or counted on its own) and is then dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

from .schema import XS, xsd_bytes
from .versions import HEADER_NS, SUPPORTED_VERSIONS
from .xmlsafe import iterparse, reject_dtd, safe_parser, translate_syntax_error
from .xsdgen import xsd_file_name

HEADER_TAG = f"{{{HEADER_NS}}}Header"
ROW = "Строка"
MAX_DEPTH = 256


@functools.cache
def top_level_names() -> frozenset[str]:
    """The global element (object type) names of every supported version."""
    names: set[str] = set()
    for version in SUPPORTED_VERSIONS:  # read the names only; the type graphs are built for the version in use
        root = etree.fromstring(xsd_bytes(xsd_file_name(version)), safe_parser())
        names.update(e.get("name") or "" for e in root.iterchildren(XS + "element"))
    return frozenset(names)


@dataclass(slots=True)
class Item:
    """One step of the walk. ``kind``: ``header`` (msg:Header), ``body`` (the Body element, once, before its first
    object; also for an empty Body), ``object`` (a Body child or the single-object root), ``stray`` (an element of
    Message other than Header and Body)."""

    kind: str
    element: etree._Element


#: called for a row of a table of a top-level object: (object, table, row, 1-based row number) -> True when it has
#: dealt with the row (the walk then drops it from the tree)
RowHook = Callable[[etree._Element, etree._Element, etree._Element, int], bool]


class Walk:
    """``for item in Walk(stream): ...``; ``root_kind`` is ``message``, ``body`` or ``object`` once iteration began."""

    def __init__(self, stream: IO[bytes], on_row: RowHook | None = None) -> None:
        self._events = iterparse(
            stream,
            events=("end",),
            tag=[HEADER_TAG, "{*}Body", *(f"{{*}}{name}" for name in top_level_names()), f"{{*}}{ROW}"],
        )
        self._prolog_checked = False
        self._on_row = on_row
        self._rows: dict[etree._Element, int] = {}  # table -> rows seen
        self.root_kind: str | None = None
        self.body: etree._Element | None = None

    def _next(self) -> tuple[str, etree._Element] | None:
        try:
            item = next(self._events)
        except StopIteration:
            return None
        except etree.XMLSyntaxError as exc:
            raise translate_syntax_error(exc, MAX_DEPTH, self._events.error_log) from exc
        if not self._prolog_checked:
            self._prolog_checked = True
            reject_dtd(item[1])
        return item

    def __iter__(self) -> Iterator[Item]:
        root: etree._Element | None = None
        while (event := self._next()) is not None:
            _, element = event
            if root is None:
                root = element.getroottree().getroot()
                self.root_kind = _root_kind(root)
            if self.root_kind == "object":
                if element.tag.endswith(ROW):
                    self._row(element, root)
                continue
            body = root if self.root_kind == "body" else None
            if body is not None and self.body is None:
                self.body = body
                yield Item("body", body)
            if self.root_kind == "message":
                parent = element.getparent()
                if element.tag == HEADER_TAG and parent is root:
                    yield from self._strays(root, element)
                    yield Item("header", element)
                    element.clear()
                    continue
                body = self.body
                if body is None:
                    top = _child_of(root, element)
                    if top is None or top.tag == HEADER_TAG:
                        continue
                    body = top
                    yield from self._strays(root, body)
                    self.body = body
                    yield Item("body", body)
            assert body is not None
            parent = element.getparent()
            if element is body:
                while len(body):
                    yield from self._take_first(body)
                continue
            if parent is body:
                while len(body) and body[0] is not element:
                    yield from self._take_first(body)
                yield from self._take_first(body)
            elif element.tag.endswith(ROW) and parent is not None:
                obj = parent.getparent()
                if obj is not None and obj.getparent() is body:
                    self._row(element, obj)
        root = root if root is not None else self._events.root
        if root is None:
            return
        if not self._prolog_checked:  # a document without a single event (``<Message/>``)
            self._prolog_checked = True
            reject_dtd(root)
        if self.root_kind is None:
            self.root_kind = _root_kind(root)
        if self.root_kind == "object":
            yield Item("object", root)
        elif self.root_kind == "body":
            if self.body is None:
                self.body = root
                yield Item("body", root)
            while len(root):
                yield from self._take_first(root)
        elif self.root_kind == "message":
            yield from self._strays(root, None)

    def _strays(self, root: etree._Element, until: etree._Element | None) -> Iterator[Item]:
        """Children of Message other than the header, up to ``until``, reported once and dropped."""
        for child in list(root.iterchildren(etree.Element)):
            if child is until:
                return
            if child.tag != HEADER_TAG and (self.body is None or child is not self.body):
                yield Item("stray", child)
                root.remove(child)

    def _take_first(self, body: etree._Element) -> Iterator[Item]:
        element = body[0]
        try:
            if isinstance(element.tag, str):  # comments and PIs are removed by the parser; be safe anyway
                yield Item("object", element)
        finally:
            for table in [t for t in self._rows if t.getparent() is element]:
                del self._rows[table]
            del body[0]

    def _row(self, row: etree._Element, obj: etree._Element) -> None:
        table = row.getparent()
        if table is None or table.getparent() is not obj or self._on_row is None:
            return
        count = self._rows[table] = self._rows.get(table, 0) + 1
        if self._on_row(obj, table, row, count):
            table.remove(row)


def _child_of(root: etree._Element, element: etree._Element) -> etree._Element | None:
    """The child of ``root`` that holds ``element``."""
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        if parent is root:
            return node
        node = parent
    return None


def _root_kind(root: etree._Element) -> str:
    local = etree.QName(root).localname
    if local == "Message":
        return "message"
    if local == "Body":
        return "body"
    return "object"


def ref_of(element: etree._Element) -> str | None:
    """The ``КлючевыеСвойства/Ссылка`` of a top-level object, or None."""
    for child in element.iterchildren(etree.Element):
        if etree.QName(child).localname == "КлючевыеСвойства":
            for key in child.iterchildren(etree.Element):
                if etree.QName(key).localname == "Ссылка":
                    return (key.text or "").strip()
    return None


def local(element: etree._Element) -> str:
    tag = element.tag
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag  # etree.QName, without building one


def namespace_of(element: etree._Element) -> str | None:
    return etree.QName(element).namespace
