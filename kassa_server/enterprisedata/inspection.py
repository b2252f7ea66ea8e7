"""What a message holds, for people: the header, one line per object (type, key properties, row counts), totals,
and one object pretty-printed. Nothing is validated here (``validation.py`` does that), so a broken message can be
looked at too; only unsafe or malformed XML stops it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from .scanning import ROW, Walk, local, ref_of
from .sources import Source, open_message

KEY_BLOCK = "КлючевыеСвойства"
SKIPPED_KEYS = frozenset({"Ссылка", "СсылкаВнешняяНавигационная"})
KEY_WIDTH = 100
COUNTED_ROWS = 256  # rows kept per table; the rest are counted and dropped


@dataclass(slots=True)
class ObjectLine:
    line: int | None
    type_name: str
    ref: str | None
    key: str  # ``Наименование=Кофе, Группа/Наименование=Бакалея``
    rows: dict[str, int] = field(default_factory=dict)  # table -> row count


@dataclass(slots=True)
class HeaderInfo:
    fields: list[tuple[str, str]]  # (path, value), repeated values joined


@dataclass(slots=True)
class Totals:
    counts: Counter[str]


def leaves(element: etree._Element, skip_tables: bool = False) -> Iterator[tuple[str, str]]:
    """(path relative to ``element``, text) of every element without element children, in document order."""
    stack: list[tuple[etree._Element, str]] = [(element, "")]
    while stack:
        node, path = stack.pop()
        children = list(node.iterchildren(etree.Element))
        if not children:
            if path:
                yield path, (node.text or "").strip()
            continue
        if skip_tables and path and all(local(c) == ROW for c in children):
            continue
        stack.extend((c, f"{path}/{local(c)}" if path else local(c)) for c in reversed(children))


def key_text(element: etree._Element) -> str:
    """The key properties of an object in one short line (its ``КлючевыеСвойства`` without Ссылка, or its first
    properties when it has no key block, as barcodes and deletions)."""
    block = next((c for c in element.iterchildren(etree.Element) if local(c) == KEY_BLOCK), None)
    parts = []
    children = list((block if block is not None else element).iterchildren(etree.Element))
    children.sort(key=lambda c: local(c) != "Наименование")  # the name first: what people look for
    for child in children:
        name = local(child)
        if name in SKIPPED_KEYS:
            continue
        first = next(((p, v) for p, v in leaves(child, skip_tables=True) if p.rpartition("/")[2] not in SKIPPED_KEYS),
                     None) if len(child) else ("", (child.text or "").strip())  # fmt: skip
        if first is None or (block is None and len(child) and all(local(c) == ROW for c in child)):
            continue
        parts.append(f"{name}/{first[0]}={first[1]}" if first[0] else f"{name}={first[1]}")
        if len(parts) == (5 if block is not None else 3):
            break
    text = ", ".join(parts)
    return text if len(text) <= KEY_WIDTH else text[: KEY_WIDTH - 1] + "…"


def overview(source: Source, name: str | None = None) -> Iterator[HeaderInfo | ObjectLine | Totals]:
    """The header (when there is one), then one :class:`ObjectLine` per Body object, then the :class:`Totals`."""
    counted: dict[etree._Element, dict[str, int]] = {}

    def count_rows(obj: etree._Element, table: etree._Element, row: etree._Element, number: int) -> bool:
        counted.setdefault(obj, {})[local(table)] = number
        return number > COUNTED_ROWS

    totals: Counter[str] = Counter()
    with open_message(source, name) as opened:
        for item in Walk(opened.stream, on_row=count_rows):
            element = item.element
            if item.kind == "header":
                yield HeaderInfo(header_fields(element))
            elif item.kind == "object":
                rows = counted.pop(element, {})
                for child in element.iterchildren(etree.Element):
                    children = list(child.iterchildren(etree.Element))
                    if children and all(local(c) == ROW for c in children):
                        rows[local(child)] = max(rows.get(local(child), 0), len(children))
                totals[local(element)] += 1
                yield ObjectLine(element.sourceline, local(element), ref_of(element), key_text(element), rows)
    yield Totals(totals)


def header_fields(header: etree._Element) -> list[tuple[str, str]]:
    joined: dict[str, list[str]] = {}
    for path, value in leaves(header):
        joined.setdefault(path, []).append(value)
    return [(path, ", ".join(values)) for path, values in joined.items()]


def find_object(source: Source, ref: str, name: str | None = None) -> tuple[int | None, bytes] | None:
    """The line and pretty-printed XML of the first object whose Ссылка (or, without one, first property value)
    is ``ref``."""
    wanted = ref.strip().lower()
    with open_message(source, name) as opened:
        for item in Walk(opened.stream):
            if item.kind != "object":
                continue
            element = item.element
            own = ref_of(element)
            if own is None:
                own = next((value for _, value in leaves(element)), None)
            if own is not None and own.lower() == wanted:
                copy = deepcopy(element)
                etree.indent(copy, space="  ")
                return element.sourceline, etree.tostring(copy, encoding="UTF-8")
    return None


def format_overview(items: Iterator[HeaderInfo | ObjectLine | Totals]) -> Iterator[str]:
    """The lines ``kassa-server ed show`` prints."""
    table_started = False
    for item in items:
        if isinstance(item, HeaderInfo):
            yield "msg:Header"
            for path, value in item.fields:
                yield f"  {path}: {value}"
            yield ""
        elif isinstance(item, ObjectLine):
            if not table_started:
                yield f"{'LINE':>7}  {'TYPE':34}  {'Ссылка':36}  KEY PROPERTIES  [ROWS]"
                table_started = True
            rows = " ".join(f"{table}:{count}" for table, count in item.rows.items())
            yield (f"{item.line or 0:>7}  {item.type_name:34}  {item.ref or '-':36}  {item.key}"
                   + (f"  [{rows}]" if rows else ""))  # fmt: skip
        else:
            total = sum(item.counts.values())
            yield "" if table_started else "(no objects)"
            yield f"{total} objects"
            for type_name, count in sorted(item.counts.items()):
                yield f"  {count:>8}  {type_name}"
