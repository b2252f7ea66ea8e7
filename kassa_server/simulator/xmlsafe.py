"""The one hardened lxml parser of the simulator: no entities, no DTD, no network."""

from __future__ import annotations

import io
from collections.abc import Iterator

from lxml import etree

__all__ = ["UnsafeXmlError", "iterparse_safely", "parse_xml"]


class UnsafeXmlError(ValueError):
    """The document declares a DTD or entities, which a safe reader refuses."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=True,
        remove_blank_text=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse `data`; a DOCTYPE (the carrier of every entity trick) is rejected outright."""
    root = etree.fromstring(data, _parser())
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXmlError("XML with a DOCTYPE is not accepted")
    return root


def iterparse_safely(
    data: bytes, *, tags: tuple[str, ...] | None = None, event: str = "end"
) -> Iterator[etree._Element]:
    """The elements of `data` (only those matching `tags`, if given) as they end (or start), with the same
    hardening; a DOCTYPE is rejected at the first element."""
    events = etree.iterparse(
        io.BytesIO(data),
        events=(event,),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_blank_text=True,
    )
    checked = False
    for _event, element in events:
        if not checked:
            checked = True
            docinfo = element.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise UnsafeXmlError("XML with a DOCTYPE is not accepted")
        yield element
