"""Rewrite a message into another supported version with the server's own per-version plans (``binding.py``), and
say what could not be carried.

Each Body object is read into its dataclass (``reader.py``, lenient) and written in the target version
(``writer.py``). What is lost is found by comparison, not guessed:

* properties of the source object that kassa-server does not model (its leaves missing when the dataclass is
  written back in the **source** version);
* modelled values the target version cannot express (the dataclass read back from the **target** XML differs);
* whole objects: invalid objects, types or deletions the target version lacks, objects missing a property the
  target requires, and objects of types kassa-server does not model unless they are valid in the target version
  as they are (then they are carried verbatim, moved into the target namespace).

The source is walked twice in lockstep (the reader for dataclasses, :class:`~.scanning.Walk` for the original XML).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from .binding import FormatObject, Parser, TextEmitter, check_xml_chars
from .diff import flatten
from .errors import FormatError, MissingProperty, UnsupportedVersion
from .objects import Deletion
from .reader import InvalidObject, UnknownObject, read_message
from .scanning import Walk
from .schema import ComplexType, fragment_validator, type_graph
from .sources import Source, open_message
from .versions import SUPPORTED_VERSIONS, namespace
from .writer import MessageWriter
from .xmlsafe import safe_parser


@dataclass(frozen=True, slots=True)
class Loss:
    """Something of the source that the converted message does not carry. ``path`` is empty for a whole object."""

    object_type: str
    ref: str | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.object_type} {self.ref or '-'}" + (f", {self.path}" if self.path else "")
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class Conversion:
    source_version: str | None
    target_version: str
    written: int = 0
    skipped: int = 0
    losses: list[Loss] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.losses

    def summary(self) -> str:
        return (f"converted {self.source_version or 'settings-only'} -> {self.target_version}: {self.written} objects "
                f"written, {self.skipped} not carried, {len(self.losses)} losses")  # fmt: skip


def convert_message(source: Source, target_version: str, out: IO[bytes], *, bom: bool = True) -> Conversion:
    """Write ``source`` (path, bytes or seekable stream; XML or ZIP) as a ``target_version`` message into ``out``."""
    if target_version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(target_version)
    with open_message(source) as opened, open_message(source) as twin:
        reader = read_message(opened.stream, strict=False)
        header = reader.header
        if header.format_version is None:  # settings-only: nothing but the header to rewrite
            result = Conversion(None, target_version)
            with MessageWriter(out, header, bom=bom):
                pass
            return result
        versions = list(header.available_versions)
        if target_version not in versions:
            versions.append(target_version)
        new_header = dataclasses.replace(header, format_version=target_version, available_versions=versions)
        result = Conversion(reader.version, target_version)
        originals = _objects(twin.stream)
        with MessageWriter(out, new_header, bom=bom) as writer:
            for item in reader:
                original = next(originals, None)
                obj = _carry(item, original, reader.version or "", target_version, result)
                if obj is None:
                    result.skipped += 1
                    continue
                if isinstance(obj, bytes):
                    writer.write_xml(obj)
                else:
                    writer.write(obj)
                result.written += 1
    return result


def _objects(stream: IO[bytes]) -> Iterator[etree._Element]:
    for item in Walk(stream):
        if item.kind == "object":
            yield item.element


def _carry(
    item: Any, original: etree._Element | None, source: str, target: str, result: Conversion
) -> FormatObject | Deletion | bytes | None:
    if isinstance(item, UnknownObject):
        verbatim = _verbatim(item, source, target)
        if isinstance(verbatim, bytes):
            return verbatim
        result.losses.append(Loss(item.type_name, item.ref, "", f"not carried: {verbatim}"))
        return None
    if isinstance(item, InvalidObject):
        result.losses.append(Loss(item.type_name, item.ref, "", f"not carried: invalid in {source}: {item.reason}"))
        return None
    if isinstance(item, Deletion):
        if item.choice_name not in _deletion_choices(target):
            result.losses.append(Loss("УдалениеОбъекта", str(item.ref), "",
                                      f"not carried: {target} cannot delete {item.target_type.wire_name}"))  # fmt: skip
            return None
        return item
    assert isinstance(item, FormatObject)
    type_name, ref = item.wire_name, str(getattr(item, "ref", "") or "") or None
    if type_graph(target).object_type(type_name) is None:
        result.losses.append(Loss(type_name, ref, "", f"not carried: EnterpriseData {target} has no {type_name}"))
        return None
    try:
        converted = _xml(item, target)
    except (MissingProperty, FormatError, ValueError) as exc:
        result.losses.append(Loss(type_name, ref, "", f"not carried: {exc}"))
        return None
    if original is not None:
        again = flatten(_xml(item, source))
        for path in flatten(original):
            if path not in again:
                result.losses.append(Loss(type_name, ref, path, "not modelled by kassa-server, dropped"))
    back = _parser(target).parse(converted, type(item))
    for path, old, new in _differences(item, back, ""):
        reason = f"not expressible in {target}" if new in (None, []) else f"becomes {new!r} in {target}"
        result.losses.append(Loss(type_name, ref, path, f"{reason} (was {old!r})"))
    return item


def _verbatim(item: UnknownObject, source: str, target: str) -> bytes | str:
    """An object of a type kassa-server does not model, moved into the target namespace when the target version has
    the type and the object is valid there as it is (its XML, or why not)."""
    if item.reason != "unknown object type":
        return item.reason
    if item.type_name not in type_graph(target).elements:
        return f"EnterpriseData {target} has no {item.type_name}"
    parsed = etree.fromstring(item.raw, safe_parser())
    old, new = namespace(source), namespace(target)
    for node in parsed.iter(etree.Element):
        if etree.QName(node).namespace == old:
            node.tag = f"{{{new}}}{etree.QName(node).localname}"
    element = etree.Element(parsed.tag, parsed.attrib, nsmap={None: new})  # the target namespace as the default
    element.text = parsed.text
    element.extend(list(parsed))
    etree.cleanup_namespaces(element)
    schema = fragment_validator(target)
    if not schema.validate(element):
        error = schema.error_log.last_error
        return (
            f"kassa-server does not model {item.type_name}, and as it is it is not valid in {target}: {error.message}"
        )
    return etree.tostring(element, encoding="UTF-8")


@functools.cache
def _emitter(version: str) -> TextEmitter:
    return TextEmitter(version)


@functools.cache
def _parser(version: str) -> Parser:
    return Parser(version)


def _xml(obj: FormatObject, version: str) -> etree._Element:
    """``obj`` as the element ``version`` carries (written as the writer writes it, then parsed)."""
    parts: list[str] = []
    _emitter(version).emit(obj, parts)
    text = "".join(parts)
    check_xml_chars(text)
    return etree.fromstring(text.encode("utf-8"), safe_parser())


def _deletion_choices(version: str) -> frozenset[str]:
    graph = type_graph(version)
    ctype = graph.object_type(Deletion.wire_name)
    names: set[str] = set()
    while isinstance(ctype, ComplexType) and not ctype.choice and ctype.elements:
        inner = graph.element_type(ctype.elements[0])
        ctype = inner if isinstance(inner, ComplexType) else None
    if ctype is not None:
        names.update(ctype.by_name)
    return frozenset(names)


def _differences(old: Any, new: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(wire path, old, new) of the values that differ between two instances of a bound dataclass."""
    for f in dataclasses.fields(old):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a == b or (a in (None, []) and b in (None, [])):
            continue
        wire = f.metadata.get("wire", (f.name,))[0]
        here = f"{path}/{wire}" if path else wire
        if dataclasses.is_dataclass(a) and type(a) is type(b):
            yield from _differences(a, b, here)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True), start=1):
                if dataclasses.is_dataclass(x) and type(x) is type(y):
                    yield from _differences(x, y, f"{here}[{i}]")
                elif x != y:
                    yield f"{here}[{i}]", x, y
        else:
            yield f"{here} ({f.name})", _short(a), _short(b)


def _short(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        return type(value).__name__
    if isinstance(value, list) and len(value) > 3:
        return f"{len(value)} rows"
    return value


def convert_bytes(source: Source, target_version: str) -> tuple[bytes, Conversion]:
    buffer = io.BytesIO()
    result = convert_message(source, target_version, buffer)
    return buffer.getvalue(), result
