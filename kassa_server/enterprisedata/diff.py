"""Object-level differences between two messages: objects added, removed and changed, and for a changed object its
properties added, removed and changed, by path (``ТоварыПродажа/Строка[2]/Количество``).

Where the format defines no order, order is ignored: Body objects are matched by type and ``Ссылка`` (or, for objects
without one such as barcodes and deletions, their first property), ``msg:AvailableVersion`` is a set and
``msg:ObjectType`` entries are matched by ``Name``. Properties are matched by name; rows of a table (``Строка``) by
position, since a tabular section is an ordered list. Two streaming passes over the first message keep only digests
of unchanged objects in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .inspection import leaves
from .scanning import Walk, local, ref_of
from .sources import Source, open_message

HEADER = "msg:Header"


@dataclass(frozen=True, slots=True)
class PropertyChange:
    kind: str  # "added" | "removed" | "changed"
    path: str
    old: str | None
    new: str | None


@dataclass(slots=True)
class ObjectChange:
    kind: str  # "added" | "removed" | "changed"
    object_type: str
    key: str  # Ссылка, or the first property as ``path=value``
    line_a: int | None = None
    line_b: int | None = None
    properties: list[PropertyChange] = field(default_factory=list)


@dataclass(slots=True)
class Difference:
    file_a: str
    file_b: str
    changes: list[ObjectChange] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def lines(self) -> Iterator[str]:
        marks = {"added": "+", "removed": "-", "changed": "~"}
        for change in self.changes:
            where = ", ".join(
                f"{f}:{line}" for f, line in ((self.file_a, change.line_a), (self.file_b, change.line_b)) if line
            )
            name = f"{change.object_type} {change.key}" if change.key else change.object_type
            yield f"{marks[change.kind]} {name}" + (f" ({where})" if where else "")
            for prop in change.properties:
                if prop.kind == "changed":
                    yield f"    ~ {prop.path}: {prop.old!r} -> {prop.new!r}"
                else:
                    value = prop.new if prop.kind == "added" else prop.old
                    yield f"    {marks[prop.kind]} {prop.path}: {value!r}"
        counts = {kind: sum(1 for c in self.changes if c.kind == kind) for kind in marks}
        yield (f"{self.file_a} -> {self.file_b}: {counts['added']} added, {counts['removed']} removed, "
               f"{counts['changed']} changed")  # fmt: skip


Flat = dict[str, str]


def flatten(element: etree._Element, header: bool = False) -> Flat:
    """Leaf paths of ``element`` with repeated siblings numbered (``Строка[2]``); in a header, the unordered lists
    are keyed by value (``AvailableVersion``) or by ``Name`` (``ObjectType``)."""
    result: Flat = {}
    stack: list[tuple[etree._Element, str]] = [(element, "")]
    while stack:
        node, path = stack.pop()
        children = list(node.iterchildren(etree.Element))
        if not children:
            if path:
                nil = node.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
                result[path] = "nil" if nil else (node.text or "").strip()
            continue
        seen: dict[str, int] = {}
        totals: dict[str, int] = {}
        for child in children:
            totals[local(child)] = totals.get(local(child), 0) + 1
        for child in children:
            name = local(child)
            seen[name] = seen.get(name, 0) + 1
            step = name
            if header and name == "AvailableVersion":
                step = f"AvailableVersion[{(child.text or '').strip()}]"
            elif header and name == "ObjectType":
                step = f"ObjectType[{child.findtext('{*}Name', '').strip()}]"
            elif totals[name] > 1:
                step = f"{name}[{seen[name]}]"
            stack.append((child, f"{path}/{step}" if path else step))
    return result


def identity(element: etree._Element) -> tuple[str, str]:
    ref = ref_of(element)
    if ref:
        return local(element), ref
    first = next(leaves(element), None)
    return local(element), f"{first[0]}={first[1]}" if first else "(empty)"


def _digest(flat: Flat) -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(flat):
        hasher.update(path.encode() + b"\0" + flat[path].encode() + b"\1")
    return hasher.digest()


def _objects(source: Source, name: str | None) -> Iterator[tuple[str, tuple[str, str], int | None, etree._Element]]:
    """(file label, unique identity, line, element) of the header and every object, in document order."""
    with open_message(source, name) as opened:
        seen: dict[tuple[str, str], int] = {}
        for item in Walk(opened.stream):
            if item.kind == "header":
                yield opened.name, (HEADER, ""), item.element.sourceline, item.element
            elif item.kind == "object":
                key = identity(item.element)
                seen[key] = seen.get(key, 0) + 1
                if seen[key] > 1:  # the same object twice in one message: match occurrences in order
                    key = (key[0], f"{key[1]} #{seen[key]}")
                yield opened.name, key, item.element.sourceline, item.element


def compare_properties(old: Flat, new: Flat) -> list[PropertyChange]:
    changes = [PropertyChange("removed", p, old[p], None) for p in old if p not in new]
    changes += [PropertyChange("added", p, None, new[p]) for p in new if p not in old]
    changes += [PropertyChange("changed", p, old[p], new[p]) for p in old if p in new and old[p] != new[p]]
    return sorted(changes, key=lambda c: c.path)


def diff_messages(a: Source, b: Source, *, name_a: str | None = None, name_b: str | None = None) -> Difference:
    """Compare two messages (paths, bytes or streams; XML or ZIP). Streams must be seekable: ``a`` is read twice."""
    index: dict[tuple[str, str], tuple[bytes, int | None]] = {}
    labels = ["", ""]
    for labels[0], key, line, element in _objects(a, name_a):
        index[key] = (_digest(flatten(element, key[0] == HEADER)), line)
    changed: dict[tuple[str, str], tuple[Flat, int | None]] = {}
    result_b: list[ObjectChange] = []
    matched: set[tuple[str, str]] = set()
    for labels[1], key, line, element in _objects(b, name_b):
        flat = flatten(element, key[0] == HEADER)
        if key not in index:
            result_b.append(ObjectChange("added", key[0], key[1], None, line))
            continue
        matched.add(key)
        if _digest(flat) != index[key][0]:
            changed[key] = (flat, line)
    difference = Difference(labels[0], labels[1])
    if changed:
        if hasattr(a, "seek"):
            a.seek(0)
        for _, key, line, element in _objects(a, name_a):
            if key in changed:
                flat_b, line_b = changed[key]
                properties = compare_properties(flatten(element, key[0] == HEADER), flat_b)
                difference.changes.append(ObjectChange("changed", key[0], key[1], line, line_b, properties))
    removed = [ObjectChange("removed", k[0], k[1], line, None) for k, (_, line) in index.items() if k not in matched]
    difference.changes = sorted(
        difference.changes + removed + result_b,
        key=lambda c: (c.object_type != HEADER, c.line_a or c.line_b or 0, c.object_type, c.key),
    )
    return difference
