"""Streaming writer of exchange messages (``lxml.etree.xmlfile``): the envelope, then one object at a time."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from lxml import etree

from .binding import Emitter, FormatObject
from .errors import UnsupportedVersion
from .header import Header, build_header
from .objects import Deletion
from .versions import HEADER_NS, SUPPORTED_VERSIONS, namespace

log = logging.getLogger(__name__)
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
BOM = b"\xef\xbb\xbf"


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
        self._emitter = Emitter(self.version) if self.version else None
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
        self._xf = xf
        return self

    def write(self, obj: FormatObject | Deletion) -> None:
        if self._xf is None or self._emitter is None:
            raise RuntimeError("write() needs an open data message (settings-only messages have no Body)")
        element = self._deletion(obj) if isinstance(obj, Deletion) else self._emitter.build(obj)
        self._xf.write(element)
        self.count += 1

    def _deletion(self, deletion: Deletion) -> etree._Element:
        assert self.version is not None
        ns = f"{{{namespace(self.version)}}}"
        root = etree.Element(ns + "УдалениеОбъекта", nsmap={None: namespace(self.version)})
        outer = etree.SubElement(root, ns + "СсылкаНаОбъект")
        inner = etree.SubElement(outer, ns + "СсылкаНаОбъект")
        etree.SubElement(inner, ns + deletion.choice_name).text = str(deletion.ref)
        return root

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.__exit__(exc_type, exc, tb)


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
