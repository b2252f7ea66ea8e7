"""``msg:Header`` of an exchange message (``enterprisedata.md`` §3), written and read in schema order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from .errors import EnvelopeError
from .versions import FORMAT_BASE_URI, HEADER_NS, namespace

M = f"{{{HEADER_NS}}}"


@dataclass(slots=True)
class ObjectTypeSupport:
    """One ``ObjectType`` of ``AvailableObjectTypes``: ``*``, a comma list of versions, or empty."""

    name: str
    sending: str | None = None
    receiving: str | None = None


@dataclass(slots=True)
class Header:
    """The message header. ``format_version`` None = a settings-only message (``Format`` without a version)."""

    format_version: str | None
    creation_date: datetime
    from_code: str | None = None
    to_code: str | None = None
    exchange_plan: str | None = None
    message_no: int | None = None
    received_no: int | None = None
    has_confirmation: bool = True
    available_versions: list[str] = field(default_factory=list)
    new_from: str | None = None
    available_object_types: list[ObjectTypeSupport] | None = None
    prefix: str | None = None
    extension_uris: list[str] = field(default_factory=list)  # extra tokens of Format

    @property
    def format_uri(self) -> str:
        base = FORMAT_BASE_URI if self.format_version is None else namespace(self.format_version)
        return " ".join([base, *self.extension_uris])


def build_header(header: Header) -> etree._Element:
    root = etree.Element(M + "Header", nsmap={"msg": HEADER_NS})

    def add(parent: etree._Element, name: str, value: object) -> None:
        if value is not None:
            etree.SubElement(parent, M + name).text = str(value)

    add(root, "Format", header.format_uri)
    add(root, "CreationDate", header.creation_date.replace(tzinfo=None, microsecond=0).isoformat())
    if header.has_confirmation:
        confirmation = etree.SubElement(root, M + "Confirmation")
        add(confirmation, "ExchangePlan", header.exchange_plan)
        add(confirmation, "To", header.to_code)
        add(confirmation, "From", header.from_code or "")
        add(confirmation, "MessageNo", header.message_no)
        add(confirmation, "ReceivedNo", header.received_no)
    versions = header.available_versions or ([header.format_version] if header.format_version else [])
    if not versions:
        raise EnvelopeError("a header needs at least one AvailableVersion")
    for version in versions:
        add(root, "AvailableVersion", version)
    add(root, "NewFrom", header.new_from)
    if header.available_object_types is not None:
        types = etree.SubElement(root, M + "AvailableObjectTypes")
        for item in header.available_object_types:
            row = etree.SubElement(types, M + "ObjectType")
            add(row, "Name", item.name)
            add(row, "Sending", item.sending)
            add(row, "Receiving", item.receiving)
    add(root, "Prefix", header.prefix)
    return root


MIN_NUMBER, MAX_NUMBER = -(2**63), 2**63 - 1
"""The range of ``MessageNo`` and ``ReceivedNo`` a message may carry."""


def parse_header(element: etree._Element) -> Header:
    def text(parent: etree._Element | None, name: str) -> str | None:
        if parent is None:
            return None
        child = parent.find(M + name)
        return None if child is None else (child.text or "")

    def number(parent: etree._Element | None, name: str) -> int | None:
        value = text(parent, name)
        try:
            number = None if value is None or not value.strip() else int(value)
        except ValueError as exc:
            raise EnvelopeError(f"msg:{name} is not an integer: {(value or '')[:64]!r}") from exc
        if number is not None and not MIN_NUMBER <= number <= MAX_NUMBER:
            # message numbers are stored as 64-bit integers (both databases)
            raise EnvelopeError(f"msg:{name} is out of range: {(value or '')[:64]!r}")
        return number

    format_text = text(element, "Format")
    created = text(element, "CreationDate")
    if format_text is None or created is None:
        raise EnvelopeError("msg:Header has no Format or CreationDate")
    tokens = format_text.split()
    base = tokens[0] if tokens else ""
    if base == FORMAT_BASE_URI:
        version = None
    elif base.startswith(FORMAT_BASE_URI + "/"):
        version = base[len(FORMAT_BASE_URI) + 1 :]
    else:
        raise EnvelopeError(f"unknown message format {base!r}")
    try:
        creation_date = datetime.fromisoformat(created.strip())
    except ValueError as exc:
        raise EnvelopeError(f"msg:CreationDate is not a date: {created!r}") from exc
    confirmation = element.find(M + "Confirmation")
    types_element = element.find(M + "AvailableObjectTypes")
    object_types = None
    if types_element is not None:
        object_types = [
            ObjectTypeSupport(text(row, "Name") or "", text(row, "Sending"), text(row, "Receiving"))
            for row in types_element.iterchildren(M + "ObjectType")
        ]
    return Header(
        format_version=version,
        creation_date=creation_date,
        from_code=text(confirmation, "From"),
        to_code=text(confirmation, "To"),
        exchange_plan=text(confirmation, "ExchangePlan"),
        message_no=number(confirmation, "MessageNo"),
        received_no=number(confirmation, "ReceivedNo"),
        has_confirmation=confirmation is not None,
        available_versions=[(e.text or "").strip() for e in element.iterchildren(M + "AvailableVersion")],
        new_from=text(element, "NewFrom"),
        available_object_types=object_types,
        prefix=text(element, "Prefix"),
        extension_uris=tokens[1:],
    )
