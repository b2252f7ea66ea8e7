"""Streaming writer of exchange messages: the envelope with ``lxml.etree.xmlfile``, then one object at a time.

The objects are written as text by :class:`~.binding.TextEmitter` (precomputed tags, libxml2's escaping; the bytes
are those lxml would serialize from :meth:`~.binding.Emitter.build`, which a test checks for every type and version)
into a small buffer that goes to the stream at object boundaries, or every ``binding.SPILL_PARTS`` parts inside a
huge object, so neither a tree nor a whole large document (a price list of 100k rows) is ever held in memory. The
xmlfile is flushed before the first object, so the envelope and the objects reach the stream in document order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from lxml import etree

from .binding import FormatObject, TextEmitter, check_xml_chars, escape_text
from .errors import UnsupportedVersion
from .header import Header, build_header
from .objects import Deletion
from .versions import HEADER_NS, SUPPORTED_VERSIONS, XS_NS, XSI_NS, namespace

log = logging.getLogger(__name__)
BOM = b"\xef\xbb\xbf"
FLUSH_BYTES = 1 << 18  # encoded objects buffered before a write to the stream


class MessageWriter:
    """Context manager: ``with MessageWriter(stream, header) as w: w.write(obj)``.

    ``header.format_version`` None writes a settings-only message (no Body; ``write`` is then refused).
    """

    def __init__(self, stream: IO[bytes], header: Header, *, bom: bool = True) -> None:
        self.header = header
        self.version = header.format_version
        if self.version is not None and self.version not in SUPPORTED_VERSIONS:
            raise UnsupportedVersion(self.version)
        self._stream = stream
        self._bom = bom
        self._stack = contextlib.ExitStack()
        self._xf: etree.xmlfile | None = None
        self._emitter = TextEmitter(self.version) if self.version else None
        if self._emitter is not None:
            self._emitter.spill = self._spill
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.count = 0

    def __enter__(self) -> MessageWriter:
        if self._bom:
            self._stream.write(BOM)
        xf = self._stack.enter_context(etree.xmlfile(self._stream, encoding="UTF-8"))
        xf.write_declaration()
        self._stack.enter_context(xf.element("Message", nsmap={"msg": HEADER_NS, "xs": XS_NS, "xsi": XSI_NS}))
        xf.write(build_header(self.header))
        if self.version is not None:
            self._stack.enter_context(
                xf.element(f"{{{namespace(self.version)}}}Body", nsmap={None: namespace(self.version)})
            )
            xf.flush()
            self._stack.callback(self._flush)  # runs before the Body element closes
        self._xf = xf
        return self

    def write(self, obj: FormatObject | Deletion) -> None:
        """Write one object; an object that cannot be written (``MissingProperty``, a control character) leaves
        nothing behind, except a huge one whose first rows already went to the stream (``binding.SPILL_PARTS``)."""
        if self._xf is None or self._emitter is None:
            raise RuntimeError("write() needs an open data message (settings-only messages have no Body)")
        parts: list[str] = []
        if isinstance(obj, Deletion):
            self._deletion(obj, parts)
        else:
            self._emitter.emit(obj, parts)
        self._pending.append(_encoded(parts))
        self._pending_size += len(self._pending[-1])
        self.count += 1
        if self._pending_size >= FLUSH_BYTES:
            self._flush()

    def write_xml(self, element: bytes) -> None:
        """Write one Body object given as the XML of an element of this version (carried verbatim: a type the
        dataclasses do not model). The caller has validated it."""
        if self._xf is None or self._emitter is None:
            raise RuntimeError("write_xml() needs an open data message (settings-only messages have no Body)")
        self._pending.append(element)
        self._pending_size += len(element)
        self.count += 1
        if self._pending_size >= FLUSH_BYTES:
            self._flush()

    def _spill(self, parts: list[str]) -> None:
        """Called by the emitter inside a huge object: write what it has so far."""
        self._pending.append(_encoded(parts))
        parts.clear()
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._stream.write(b"".join(self._pending))
            self._pending.clear()
            self._pending_size = 0

    def _deletion(self, deletion: Deletion, parts: list[str]) -> None:
        assert self.version is not None
        name = deletion.choice_name
        parts.append(
            f'<УдалениеОбъекта xmlns="{namespace(self.version)}"><СсылкаНаОбъект><СсылкаНаОбъект><{name}>'
            f"{escape_text(str(deletion.ref))}</{name}></СсылкаНаОбъект></СсылкаНаОбъект></УдалениеОбъекта>"
        )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.__exit__(exc_type, exc, tb)


def _encoded(parts: list[str]) -> bytes:
    text = "".join(parts)
    check_xml_chars(text)
    return text.encode("utf-8")


def write_message(
    target: IO[bytes] | str | Path,
    header: Header,
    objects: Iterable[FormatObject | Deletion] = (),
    *,
    bom: bool = True,
) -> int:
    """Write a whole message; ``objects`` may be a generator (nothing is kept in memory). Returns the object count."""
    with _open(target) as stream, MessageWriter(stream, header, bom=bom) as writer:
        for obj in objects:
            writer.write(obj)
        return writer.count


@contextlib.contextmanager
def _open(target: IO[bytes] | str | Path) -> Iterator[IO[bytes]]:
    if isinstance(target, str | Path):
        with open(target, "wb") as stream:
            yield stream
    else:
        yield target


def object_xml(obj: FormatObject, version: str) -> bytes:
    """One object as the XML element ``version`` would carry it (own default namespace): for keeping an object that
    is stored but not interpreted, in the form it travelled."""
    from .binding import Emitter

    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(version)
    return etree.tostring(Emitter(version).build(obj), encoding="UTF-8")
