"""The one hardened way to parse XML: no DTD, no entities, no network, bounded nesting.

``guard_prolog`` reads the prolog of a stream (everything before the root element) and rejects DOCTYPE declarations
before lxml sees them, so the streaming reader can use ``iterparse`` on the rest. lxml parsers are always created
with ``resolve_entities=False, no_network=True, load_dtd=False``; an entity reference left over is a syntax error that
``translate_syntax_error`` turns into :class:`EntitiesForbidden` (found in lxml's error log).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree

from .errors import (
    DtdForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    FormatError,
    NestingTooDeep,
    XmlSyntax,
)

PROLOG_LIMIT = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def safe_parser() -> etree.XMLParser:
    """A parser for small, untrusted documents."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def envelope_parser(encoding: str | None = None) -> etree.XMLPullParser:
    """A feed parser for SOAP envelopes that reports ``start`` events, so the caller can count elements and attributes
    while it parses. Large text nodes (base64 parts) are allowed; comments and processing instructions are dropped and
    CDATA merged (as spyne's own parser does). ``encoding`` overrides the document's declaration."""
    return etree.XMLPullParser(
        events=("start",),
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        attribute_defaults=False,
        ns_clean=False,
        recover=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        compact=True,
    )


def own_document_parser() -> etree.XMLParser:
    """A parser for documents the server itself wrote (its SOAP answers): no entities, no network, large text nodes
    (base64 parts) allowed."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=True
    )


def raw_parser() -> etree.XMLParser:
    """A parser for fragments kept verbatim (``RawXml``): comments and processing instructions stay."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def iterparse(stream: IO[bytes], *, events: tuple[str, ...], tag: list[str] | None = None) -> etree.iterparse:
    """A streaming parser over ``stream``, whose prolog is checked first (:func:`guard_prolog`)."""
    return etree.iterparse(
        guard_prolog(stream),
        events=events,
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_trusted_file(path: Path) -> etree._ElementTree:
    """Parse a file we ship or generate (XDTO packages, XSDs); still without network or entities."""
    return etree.parse(str(path), safe_parser())


def check_prolog(prolog: bytes) -> None:
    """Raise when ``prolog`` (the bytes before the root element) holds a DOCTYPE."""
    match = _DOCTYPE.search(_strip_comments(prolog))
    if match is None:
        return
    declaration = prolog[match.start() :]
    if b"<!ENTITY" in declaration:
        if b"SYSTEM" in declaration or b"PUBLIC" in declaration:
            raise ExternalReferenceForbidden("the document declares external entities")
        raise EntitiesForbidden("the document declares entities")
    if re.match(rb"<!DOCTYPE\s+\S+\s+(SYSTEM|PUBLIC)", declaration):
        raise ExternalReferenceForbidden("the DOCTYPE refers to an external DTD")
    raise DtdForbidden("the document has a DOCTYPE declaration")


def _strip_comments(data: bytes) -> bytes:
    return re.sub(rb"<!--.*?-->", b"", data, flags=re.DOTALL)


class _Prefixed(io.RawIOBase):
    """A read-only stream that yields ``head`` and then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        self._head = head
        self._tail = tail

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
                if size < 0:
                    return data + self._tail.read()
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._tail.read(size)


_BOM = b"\xef\xbb\xbf"


def guard_prolog(stream: IO[bytes]) -> IO[bytes]:
    """Read the prolog of ``stream`` token by token (XML declaration, processing instructions, comments, white
    space) up to the root element, reject a DOCTYPE wherever it stands, and return a stream that replays the prolog
    without its comments, followed by the rest.

    Comments of any size are skipped without being kept; anything else in the prolog may take ``PROLOG_LIMIT`` bytes.
    The streaming reader also checks lxml's view of the document (a DTD in a UTF-16 prolog), see ``reject_dtd``.
    """
    kept = bytearray()
    buf = b""

    def fill(needed: int) -> bool:
        nonlocal buf
        while len(buf) < needed:
            chunk = stream.read(64 * 1024)
            if not chunk:
                return False
            buf += chunk
        return True

    def find(token: bytes, start: int) -> int:
        """Index of ``token`` in ``buf`` from ``start``, reading more as needed; -1 at the end of the stream."""
        nonlocal buf
        pos = start
        while (index := buf.find(token, pos)) < 0:
            pos = max(start, len(buf) - len(token) + 1)
            if len(buf) > PROLOG_LIMIT or not fill(len(buf) + 1):
                return -1
        return index

    fill(len(_BOM))
    if buf.startswith(_BOM):
        kept += _BOM
        buf = buf[len(_BOM) :]
    while True:
        fill(4)
        stripped = buf.lstrip(b" \t\r\n")
        kept += buf[: len(buf) - len(stripped)]
        buf = stripped
        if not buf and not fill(1):
            break
        if not buf:
            continue
        if buf.startswith(b"<!--"):
            # a comment: drop it, keeping only what may be the start of its end
            while (end := buf.find(b"-->", 4)) < 0:
                buf = b"<!--" + buf[-2:] if len(buf) > 6 else buf
                if not fill(len(buf) + 1):
                    raise XmlSyntax("the prolog has an unterminated comment", None)
            buf = buf[end + 3 :]
        elif buf.startswith(b"<?"):
            end = find(b"?>", 2)
            if end < 0:
                raise XmlSyntax(f"a processing instruction of the prolog is longer than {PROLOG_LIMIT} bytes", None)
            kept += buf[: end + 2]
            buf = buf[end + 2 :]
            if len(kept) > PROLOG_LIMIT:
                raise XmlSyntax(f"the prolog is longer than {PROLOG_LIMIT} bytes", None)
        elif buf.startswith(b"<!"):
            fill(PROLOG_LIMIT)
            check_prolog(buf[:PROLOG_LIMIT])
            raise DtdForbidden("the document has a DOCTYPE declaration")
        else:
            break  # the root element, or text lxml will reject
    return _Prefixed(bytes(kept) + buf, stream)  # type: ignore[return-value]


def reject_dtd(element: etree._Element) -> None:
    """Raise :class:`DtdForbidden` when lxml saw a DOCTYPE in the document of ``element`` (any encoding)."""
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DtdForbidden("the document has a DOCTYPE declaration")


@contextlib.contextmanager
def map_lxml_errors(max_depth: int | None = None) -> Iterator[None]:
    """Translate lxml parse errors into :class:`FormatError` subclasses with a line number."""
    try:
        yield
    except etree.XMLSyntaxError as exc:
        raise translate_syntax_error(exc, max_depth) from exc


def translate_syntax_error(
    exc: etree.XMLSyntaxError, max_depth: int | None = None, log: etree._ListErrorLog | None = None
) -> FormatError:
    """The :class:`FormatError` for an lxml parse error.

    ``log`` (the parser's own error log) is consulted as well as the message: libxml2 reports an undeclared entity
    (``&xxe;`` without a DTD) in ``iterparse`` as a generic "no element found" at the end and keeps the real cause
    in the log.
    """
    message = str(exc.msg if hasattr(exc, "msg") else exc)
    line = exc.lineno if exc.lineno else None
    causes = [("", message, line)] + [(entry.type_name, entry.message, entry.line) for entry in (log or ())]
    for type_name, text, at in causes:
        if "Excessive depth" in text:
            return NestingTooDeep(max_depth or 256, at)
        if "ENTITY" in type_name or "Entity" in text or "entity" in text:
            return EntitiesForbidden(f"line {at}: {text}")
    return XmlSyntax(message, line)
