"""The SOAP call journal for people: calls with filters and paging, and a call's EnterpriseData message decoded.

A message travels as a Base64 ZIP inside a SOAP body (``PutData``/``GetData`` and the file parts). The journal keeps
the first ``Limits.journal_body_limit`` bytes of each body, so a message is decoded when it fits there whole; its
objects are shown one by one, pretty-printed, with the objects the server skipped or set aside for the node.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.paging import ListPage, paged
from kassa_server.enterprisedata.xmlsafe import safe_parser
from kassa_server.errors import KassaError, NotFoundError
from kassa_server.exchange.files import ArchiveLimits, first_entry
from kassa_server.models import Infobase, RawObject, SoapCall

OUTCOMES = ("ok", "soft_error", "fault", "rejected", "wsdl")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]{64,}$")
_LIMITS = ArchiveLimits(max_message=64 * 1024 * 1024, max_ratio=1000)


@dataclass(frozen=True)
class JournalFilter:
    node_code: str = ""
    service: str = ""
    operation: str = ""
    outcome: str = ""


def list_calls(
    session: Session, infobase: Infobase, criteria: JournalFilter, *, page: int = 1, page_size: int = 50
) -> ListPage:
    query = select(SoapCall).where(SoapCall.infobase == infobase.name)
    if criteria.node_code:
        query = query.where(SoapCall.node_code == criteria.node_code)
    if criteria.service:
        query = query.where(SoapCall.service == criteria.service)
    if criteria.operation:
        query = query.where(SoapCall.operation == criteria.operation)
    if criteria.outcome:
        query = query.where(SoapCall.outcome == criteria.outcome)
    return paged(session, query.order_by(SoapCall.id.desc()), page, page_size)


def journal_choices(session: Session, infobase: Infobase) -> dict[str, list[str]]:
    """The services, operations and nodes that occur in the journal, for the filter lists."""
    choices: dict[str, list[str]] = {}
    for name, column in (
        ("service", SoapCall.service),
        ("operation", SoapCall.operation),
        ("node_code", SoapCall.node_code),
    ):
        values = session.scalars(select(column).where(SoapCall.infobase == infobase.name).distinct().order_by(column))
        choices[name] = [value for value in values if value]
    return choices


def get_call(session: Session, infobase: Infobase, call_id: int) -> SoapCall:
    call = session.get(SoapCall, call_id)
    if call is None or call.infobase != infobase.name:
        raise NotFoundError(f"no journal entry {call_id} in infobase {infobase.name!r}")
    return call


@dataclass
class DecodedObject:
    kind: str
    """The object's element name, e.g. ``Справочник.Номенклатура``."""
    summary: str
    xml: str


@dataclass
class DecodedMessage:
    where: str
    """``request`` or ``response``."""
    header: str = ""
    objects: list[DecodedObject] = field(default_factory=list)
    error: str = ""


def decode_call(call: SoapCall, *, body_limit: int) -> list[DecodedMessage]:
    """The EnterpriseData messages inside a call's request and response, as far as the journal kept them."""
    found = []
    for where, body, size in (
        ("request", call.request_body, call.request_size),
        ("response", call.response_body, call.response_size),
    ):
        payload = _payload(body)
        if payload is None:
            if size > body_limit:
                found.append(DecodedMessage(where, error=f"the journal kept {body_limit} of {size} bytes"))
            continue
        found.append(_decode(where, payload))
    return found


def rejected_objects(session: Session, infobase: Infobase, node_code: str, *, limit: int = 50) -> list[RawObject]:
    """Objects the node sent that the server kept aside (not interpreted, or refused), with the reason."""
    return list(
        session.scalars(
            select(RawObject)
            .where(RawObject.infobase_id == infobase.id, RawObject.node_code == node_code)
            .order_by(RawObject.id.desc())
            .limit(limit)
        )
    )


def _payload(body: str) -> bytes | None:
    """The first Base64 text in the SOAP body that decodes to a ZIP archive."""
    if not body or len(body) < 64:
        return None
    try:
        root = etree.fromstring(body.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError:
        return None
    for element in root.iter():
        text = element.text
        if text is None or len(text) < 64 or not _BASE64.match(text[:256]):
            continue
        try:
            data = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            continue
        if data[:2] == b"PK":
            return data
    return None


def _decode(where: str, payload: bytes) -> DecodedMessage:
    message = DecodedMessage(where)
    try:
        xml = first_entry(payload, _LIMITS)
        root = etree.fromstring(xml, safe_parser())
    except (KassaError, etree.XMLSyntaxError) as exc:
        message.error = f"cannot read the archive: {exc}"
        return message
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "Header":
            message.header = _pretty(child)
        elif name == "Body":
            for obj in child:
                if isinstance(obj.tag, str):
                    message.objects.append(DecodedObject(etree.QName(obj).localname, _summary(obj), _pretty(obj)))
    return message


def _summary(element: etree._Element) -> str:
    """A one-line hint of an object: its name, number or code, as far as it has one."""
    for wanted in ("Наименование", "Номер", "Код", "НомерЧекаККМ", "Значение"):
        for found in element.iter("{*}" + wanted):
            if found.text and found.text.strip():
                return str(found.text).strip()[:120]
    return ""


def _pretty(element: etree._Element) -> str:
    copy = etree.fromstring(etree.tostring(element, encoding="utf-8"), safe_parser())
    etree.cleanup_namespaces(copy)
    for node in copy.iter():
        if isinstance(node.tag, str) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return str(etree.tostring(copy, pretty_print=True, encoding="unicode"))
