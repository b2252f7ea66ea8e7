"""Offline validation of a message (or a bare Body, or one object) that reports **every** error, not the first.

The header is checked against the ``ExchangeMessage`` schema and the envelope rules of ``enterprisedata.md`` §1, §3,
§5; every Body object against the strict schema of the message's version (given, or read from ``msg:Format``, or
from the namespace). Each problem says where: ``file:line: object type, Ссылка, path: reason``. It streams like the
reader (:mod:`.scanning`): rows of a huge table past ``STREAM_ROWS`` are validated one by one against their named
row type and dropped, so 100 000 goods take about what reading them takes, in bounded memory.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from .errors import FormatError, SourceError, UnsupportedVersion
from .header import M
from .scanning import Item, Walk, local, namespace_of, ref_of
from .schema import ComplexType, fragment_validator, type_graph, validator
from .sources import Source, describe, open_message
from .versions import FORMAT_BASE_URI, SUPPORTED_VERSIONS, namespace, version_of_namespace

#: rows of one table validated with their object; later rows are validated on their own and dropped
STREAM_ROWS = 256
HEADER = "msg:Header"
_CLARK = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^}'\s]*\}")  # {namespace-uri}name
_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One error: where (file, line, object, path) and why."""

    file: str
    line: int | None
    object_type: str
    ref: str | None
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.object_type}, {self.ref or '-'}, {self.path}: {self.reason}"


@dataclass(slots=True)
class Report:
    """The outcome for one file: its version, how many objects it has and every problem found."""

    file: str
    version: str | None = None
    objects: int = 0
    problems: list[Problem] = field(default_factory=list)
    unchecked: int = 0  # objects in an extension namespace declared by msg:Format (no schema for them)

    @property
    def valid(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        version = f"EnterpriseData {self.version}" if self.version else "EnterpriseData (version unknown)"
        unchecked = f" ({self.unchecked} of an extension, not checked)" if self.unchecked else ""
        if self.valid:
            return f"{self.file}: valid {version}, {self.objects} objects{unchecked}"
        return f"{self.file}: {len(self.problems)} errors, {version}, {self.objects} objects{unchecked}"

    def text(self) -> str:
        """Every problem on its own line, then the summary."""
        return "\n".join([*map(str, self.problems), self.summary()])

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "version": self.version,
            "objects": self.objects,
            "valid": self.valid,
            "unchecked": self.unchecked,
            "errors": [asdict(p) for p in self.problems],
        }


def validate(source: Source, version: str | None = None, *, name: str | None = None) -> Report:
    """Validate a message given as a path, bytes or a binary stream (XML or a ZIP of it).

    ``version`` checks the objects against that version whatever the message says (a different ``msg:Format`` is
    then an error); without it the version comes from ``msg:Format`` or, for a bare Body or object, its namespace.
    Problems that stop reading (unsafe or malformed XML, an unreadable ZIP) are reported as the last problem.
    """
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(version)
    try:
        with open_message(source, name) as opened:
            checker = _Checker(opened.name, version)
            try:
                checker.run(Walk(opened.stream, on_row=checker.row))
            except FormatError as exc:
                checker.problem(getattr(exc, "line", None), "Message", None, "Message", str(exc))
            return checker.report
    except SourceError as exc:
        report = Report(describe(source, name), version)
        report.problems.append(Problem(report.file, None, "Message", None, "Message", str(exc)))
        return report


class _Checker:
    def __init__(self, file: str, forced: str | None) -> None:
        self.report = Report(file, forced)
        self.forced = forced
        self.version: str | None = forced
        self.settings_only = False
        self.extensions: set[str] = set()
        self.headers = 0
        self._schema: etree.XMLSchema | None = None
        self._row_types: dict[tuple[str, str], str | None] = {}
        self._row_problems: dict[etree._Element, list[Problem]] = {}

    def problem(self, line: int | None, object_type: str, ref: str | None, path: str, reason: str) -> None:
        self.report.problems.append(Problem(self.report.file, line, object_type, ref, path, reason))

    def run(self, walk: Walk) -> None:
        for item in walk:
            self.item(item, walk)
        if walk.root_kind == "message":
            if not self.headers:
                self.problem(1, "Message", None, "Message", "the message has no msg:Header")
            elif walk.body is None and not self.settings_only:
                self.problem(None, "Message", None, "Message",
                             "a data message needs a Body right after msg:Header (SSL error 9)")  # fmt: skip

    def item(self, item: Item, walk: Walk) -> None:
        element = item.element
        if item.kind == "header":
            self.headers += 1
            if self.headers > 1:
                self.problem(element.sourceline, HEADER, None, "Message", "a second msg:Header")
                return
            self.header(element)
        elif item.kind == "body":
            self._start_body(element, walk)
        elif item.kind == "stray":
            self.problem(element.sourceline, "Message", None, f"Message/{local(element)}",
                         f"unexpected element {local(element)}: Message holds msg:Header and then Body")  # fmt: skip
        else:
            if self._schema is None and walk.root_kind == "object":
                self._start_object_root(element)
            self.object(element)

    # --- header and envelope ------------------------------------------------------------------------------------

    def header(self, element: etree._Element) -> None:
        schema = validator("header")
        if not schema.validate(element):
            for entry in schema.error_log:
                self.problem(entry.line, HEADER, None, _path(element, entry.path, "Header"), _reason(entry.message))
        format_element = element.find(M + "Format")
        if format_element is None:
            return
        tokens = (format_element.text or "").split()
        base = tokens[0] if tokens else ""
        self.extensions.update(tokens[1:])  # extension URIs (enterprisedata.md §3: Format)
        line = format_element.sourceline
        if base == FORMAT_BASE_URI:
            self.settings_only = True
            return
        if not base.startswith(FORMAT_BASE_URI + "/"):
            self.problem(line, HEADER, None, "Header/Format", f"unknown message format {base!r}")
            return
        declared = base[len(FORMAT_BASE_URI) + 1 :]
        if declared not in SUPPORTED_VERSIONS:
            self.problem(line, HEADER, None, "Header/Format", f"unsupported EnterpriseData version {declared!r} "
                         f"(supported: {', '.join(SUPPORTED_VERSIONS)})")  # fmt: skip
        elif self.forced is not None and declared != self.forced:
            self.problem(line, HEADER, None, "Header/Format",
                         f"the message declares version {declared}, checked as {self.forced}")  # fmt: skip
        elif self.version is None:
            self.version = declared

    def _start_body(self, body: etree._Element | None, walk: Walk) -> None:
        line = body.sourceline if body is not None else None
        if walk.root_kind == "message":
            if not self.headers:
                self.problem(line, "Message", None, "Message", "msg:Header must come before Body")
            assert body is not None
            if local(body) != "Body":
                self.problem(line, "Message", None, f"Message/{local(body)}",
                             f"unexpected element {local(body)}: Message holds msg:Header and then Body")  # fmt: skip
            if self.settings_only:
                self.problem(line, "Message", None, "Message/Body",
                             "a settings-only message (msg:Format without a version) has no Body")  # fmt: skip
        body_ns = None if body is None else namespace_of(body) or body.nsmap.get(None)
        if self.version is None and body_ns is not None:
            with contextlib.suppress(UnsupportedVersion):
                self.version = version_of_namespace(body_ns)
        if self.version is None:
            self.problem(line, "Message", None, "Body",
                         f"no supported EnterpriseData version in msg:Format or the Body namespace {body_ns!r}; "
                         "objects are not checked (give the version)")  # fmt: skip
            return
        expected = namespace(self.version)
        if body is not None and body_ns != expected:
            self.problem(line, "Message", None, "Body",
                         f"Body is in namespace {body_ns!r}, expected {expected!r}")  # fmt: skip
        self._use(self.version)

    def _start_object_root(self, element: etree._Element) -> None:
        if self.version is None:
            try:
                self.version = version_of_namespace(namespace_of(element) or "")
            except UnsupportedVersion:
                self.problem(element.sourceline, local(element), ref_of(element), local(element),
                             f"namespace {namespace_of(element)!r} names no supported EnterpriseData version; "
                             "objects are not checked (give the version)")  # fmt: skip
                return
        self._use(self.version)

    def _use(self, version: str) -> None:
        self.report.version = version
        self._schema = fragment_validator(version)

    # --- objects ------------------------------------------------------------------------------------------------

    def object(self, element: etree._Element) -> None:
        self.report.objects += 1
        row_problems = self._row_problems.pop(element, [])
        if self._schema is None or self.version is None:
            return
        type_name, ref, line = local(element), ref_of(element), element.sourceline
        expected = namespace(self.version)
        element_ns = namespace_of(element)
        if element_ns in self.extensions:  # 1C skips an extension's objects it lacks; we have no schema for them
            self.report.unchecked += 1
            return
        if element_ns != expected:
            self.problem(line, type_name, ref, type_name, f"wrong namespace {element_ns!r}: objects of "
                         f"EnterpriseData {self.version} are in {expected!r}")  # fmt: skip
            return
        if type_name not in type_graph(self.version).elements:
            elsewhere = [v for v in SUPPORTED_VERSIONS if type_name in type_graph(v).elements]
            hint = f" (it exists in {', '.join(elsewhere)})" if elsewhere else ""
            self.problem(line, type_name, ref, type_name,
                         f"unknown object type: EnterpriseData {self.version} has no {type_name}{hint}")  # fmt: skip
            return
        found = list(row_problems)
        if not self._schema.validate(element):
            for entry in self._schema.error_log:
                found.append(Problem(self.report.file, entry.line, type_name, ref,
                                     _path(element, entry.path, type_name), _reason(entry.message)))  # fmt: skip
        found.sort(key=lambda p: p.line or 0)
        self.report.problems.extend(found)

    def row(self, obj: etree._Element, table: etree._Element, row: etree._Element, number: int) -> bool:
        """A row of a huge table: past ``STREAM_ROWS``, validate it alone against its named row type and drop it."""
        if number <= STREAM_ROWS or self.version is None or self._schema is None:
            return False
        if namespace_of(obj) != namespace(self.version) or namespace_of(row) != namespace(self.version):
            return False
        row_type = self._row_type(local(obj), local(table))
        if row_type is None:
            return False
        tag, row.tag = row.tag, row_type
        try:
            valid = self._schema.validate(row)
        finally:
            row.tag = tag
        if not valid:
            type_name, prefix = local(obj), f"{local(obj)}/{local(table)}/Строка[{number}]"
            problems = self._row_problems.setdefault(obj, [])
            for entry in self._schema.error_log:
                path = _path(row, entry.path, "", prefix)
                reason = _reason(entry.message.replace(row_type, tag))
                problems.append(Problem(self.report.file, entry.line, type_name, ref_of(obj), path, reason))
        return True

    def _row_type(self, type_name: str, table_name: str) -> str | None:
        """The named type (Clark) of the rows of ``table_name`` in ``type_name``, or None (anonymous, unknown)."""
        key = (type_name, table_name)
        if key not in self._row_types:
            assert self.version is not None
            graph = type_graph(self.version)
            found = None
            ctype = graph.object_type(type_name)
            table = ctype.by_name.get(table_name) if ctype is not None else None
            table_type = graph.element_type(table) if table is not None else None
            if isinstance(table_type, ComplexType):
                row = table_type.by_name.get("Строка")
                found = row.type_name if row is not None and row.max_occurs != 1 else None
            self._row_types[key] = found
        return self._row_types[key]


def _reason(message: str) -> str:
    return _CLARK.sub("", message)


def _path(element: etree._Element, xpath: str | None, root_name: str, prefix: str | None = None) -> str:
    """Turn libxml2's node path (``/*/*[2]/msg:From``, relative to the validated element) into local names
    (``Справочник.Номенклатура/КлючевыеСвойства/Наименование``)."""
    names = [prefix if prefix is not None else root_name]
    steps = [s for s in (xpath or "").split("/") if s][1:]
    node = element
    for step in steps:
        match = _STEP.match(step)
        if match is None:
            break
        name, index = match["name"], int(match["index"] or 1)
        wanted = None if name == "*" else name.rpartition(":")[2]
        children = [c for c in node.iterchildren(etree.Element) if wanted is None or local(c) == wanted]
        if index > len(children):
            break
        node = children[index - 1]
        same = [c for c in node.itersiblings(preceding=True) if c.tag == node.tag]
        repeated = same or any(c.tag == node.tag for c in node.itersiblings())
        names.append(f"{local(node)}[{len(same) + 1}]" if repeated else local(node))
    return "/".join(n for n in names if n)
