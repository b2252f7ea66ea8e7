"""The SOAP 1.1 and 1.2 protocols spyne speaks here: hardened parsing and ``XmlContent``.

Requests are parsed by the envelope parser of ``enterprisedata/xmlsafe.py`` (no DTD, no entities, no network; large
text nodes allowed). spyne's own gaps become client Faults with the texts of ``services/faults.py``: an empty body,
an empty ``Body``, a Fault sent as a request, invalid base64, a DTD.
"""

from __future__ import annotations

import binascii
import codecs
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree
from spyne import Fault
from spyne.const.http import HTTP_405
from spyne.error import RequestNotAllowed
from spyne.model.binary import BINARY_ENCODING_BASE64
from spyne.protocol import ProtocolBase
from spyne.protocol.soap import Soap11, Soap12
from spyne.protocol.soap.mime import collapse_swa
from spyne.server.http import HttpTransportContext

from kassa_server.enterprisedata.xmlsafe import envelope_parser
from kassa_server.services.faults import (
    EMPTY_BODY,
    EMPTY_REQUEST,
    FAULT_AS_REQUEST,
    FORBIDDEN_DTD,
    INT_OUT_OF_RANGE,
    INVALID_BASE64,
    NOT_IN_CHARSET,
    TOO_MANY_ATTRIBUTES,
    TOO_MANY_ELEMENTS,
    UNKNOWN_CHARSET,
    XML_NS,
    shorten,
)
from kassa_server.services.wire import WIRE_NSMAP, XmlContent

logger = logging.getLogger(__name__)

XML_ID = f"{{{XML_NS}}}id"
FEED_CHUNK = 1 << 20


def _russian_fault(code: str, text: str) -> Fault:
    return Fault(code, text, lang="ru")


@dataclass(frozen=True)
class EnvelopeLimits:
    """What one request may hold before spyne reads it (issue 14 §5-§7)."""

    max_elements: int = 100_000
    max_attributes: int = 64
    max_quoted_chars: int = 256


def _check_charset(chunks: list[bytes], charset: str, limits: EnvelopeLimits) -> None:
    """Raise a client Fault when ``charset`` is unknown or the body is not in it (decoded piecewise, not kept)."""
    quoted = shorten(charset, limits.max_quoted_chars)
    try:
        decoder = codecs.getincrementaldecoder(charset)()
    except LookupError:
        logger.info("request in an unknown charset %r", quoted)
        raise _russian_fault("Client.XMLSyntaxError", UNKNOWN_CHARSET.format(charset=quoted)) from None
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), FEED_CHUNK):
                decoder.decode(chunk[start : start + FEED_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeError as exc:
        logger.info("request body is not %s: %s", quoted, shorten(str(exc), limits.max_quoted_chars))
        raise _russian_fault("Client.XMLSyntaxError", NOT_IN_CHARSET.format(charset=quoted)) from None


def parse_envelope(
    chunks: list[bytes], charset: str | None, limits: EnvelopeLimits = EnvelopeLimits()
) -> tuple[etree._Element, dict[str, Any]]:
    """The request document and its ``xml:id`` map, counting elements and attributes while parsing, so that a
    request over ``limits`` costs no more than the limit (a client Fault) and spyne never sees it."""
    encoding = None
    if charset:
        _check_charset(chunks, charset, limits)
        encoding = codecs.lookup(charset).name
    parser = envelope_parser(encoding)
    elements = 0
    xmlids: dict[str, Any] = {}
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), FEED_CHUNK):
                parser.feed(chunk[start : start + FEED_CHUNK])
                for _, element in parser.read_events():
                    elements += 1
                    if elements > limits.max_elements:
                        raise _russian_fault(
                            "Client.RequestTooComplex", TOO_MANY_ELEMENTS.format(limit=limits.max_elements)
                        )
                    if len(element.attrib) > limits.max_attributes:
                        name = shorten(etree.QName(element).localname, limits.max_quoted_chars)
                        raise _russian_fault(
                            "Client.RequestTooComplex",
                            TOO_MANY_ATTRIBUTES.format(name=name, limit=limits.max_attributes),
                        )
                    xml_id = element.get(XML_ID)
                    if xml_id is not None:
                        xmlids[xml_id] = element
        root = parser.close()
    except (etree.XMLSyntaxError, ValueError, LookupError, UnicodeError) as exc:
        raise Fault("Client.XMLSyntaxError", shorten(str(exc), limits.max_quoted_chars)) from None
    return root, xmlids


class _KassaXmlMixin:
    """Hardened parsing and ``XmlContent`` on top of spyne's SOAP protocol."""

    serialization_handlers: Any
    deserialization_handlers: Any
    ns_soap_env: str
    limits: EnvelopeLimits

    def _install(self, limits: EnvelopeLimits) -> None:
        self.limits = limits
        self.serialization_handlers[XmlContent] = self._xml_content_to_parent
        self.deserialization_handlers[XmlContent] = self._xml_content_from_element

    def _xml_content_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, name: str, **_: Any) -> None:
        element = etree.Element(f"{{{ns}}}{name}", nsmap=WIRE_NSMAP)
        element.extend(inst)
        parent.append(element)

    def _xml_content_from_element(self, ctx: Any, cls: Any, element: etree._Element) -> etree._Element:
        return element

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        # spyne fails with a bare StopIteration (an HTTP 500 without a Fault) on an empty body
        chunks = [chunk for chunk in (ctx.in_string or ()) if chunk]
        if not any(chunk.strip() for chunk in chunks):
            raise _russian_fault("Client.SoapError", EMPTY_REQUEST)
        ctx.in_string = chunks
        if isinstance(ctx.transport, HttpTransportContext):
            # as spyne's Soap11.create_in_document: SOAP over HTTP is a POST with a content type
            content_type = ctx.transport.get_request_content_type()
            if content_type is None or ctx.transport.get_request_method() != "POST":
                ctx.transport.resp_code = HTTP_405
                raise RequestNotAllowed("You must issue a POST request with the Content-Type header properly set.")
            ctx.in_string = collapse_swa(ctx, parse_header(content_type), self.ns_soap_env)
        ctx.in_document = parse_envelope(list(ctx.in_string), charset, self.limits)
        docinfo = ctx.in_document[0].getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise _russian_fault("Client.XmlForbidden", FORBIDDEN_DTD)

    def decompose_incoming_envelope(self, ctx: Any, message: Any = ProtocolBase.REQUEST) -> None:
        # spyne fails with an AttributeError on an empty Body and answers a Fault sent as a request with that Fault
        envelope = ctx.in_document[0]
        ns_env = self.ns_soap_env
        body = envelope.find(f"{{{ns_env}}}Body") if envelope.tag == f"{{{ns_env}}}Envelope" else None
        if body is not None:
            operation = next((child for child in body if isinstance(child.tag, str)), None)
            if operation is None:
                raise _russian_fault("Client.SoapError", EMPTY_BODY)
            if operation.tag == f"{{{ns_env}}}Fault":
                raise _russian_fault("Client.SoapError", FAULT_AS_REQUEST)
        super().decompose_incoming_envelope(ctx, message)  # type: ignore[misc]

    def byte_array_from_element(self, ctx: Any, cls: Any, element: etree._Element) -> Any:
        try:
            text = element.text
            soft = self.validator is self.SOFT_VALIDATION  # type: ignore[attr-defined]
            if text is not None and self.binary_encoding is BINARY_ENCODING_BASE64 and not soft:  # type: ignore[attr-defined]
                # spyne's ByteArray.from_base64 runs ``"".join(text)``: a list of one pointer per character, 8 bytes
                # per base64 character (a 40 MiB part peaked at +426 MB). The text decodes as it is, and the tree's
                # own copy of it is dropped first (nothing reads the request tree after its arguments).
                element.text = None
                return (binascii.a2b_base64(text),)
            return super().byte_array_from_element(ctx, cls, element)  # type: ignore[misc]
        except ValueError:  # binascii.Error, or a non-ASCII character
            name = etree.QName(element).localname
            raise _russian_fault("Client.ValidationError", INVALID_BASE64.format(name=name)) from None

    def integer_from_bytes(self, cls: Any, string: Any) -> Any:
        # spyne checks the bounds of xs:int only with its validator on; a PartNumber of 2**31 reached the database
        value = super().integer_from_bytes(cls, string)  # type: ignore[misc]
        if value is not None and not cls.validate_native(cls, value):
            quoted = shorten(str(value), self.limits.max_quoted_chars)
            raise _russian_fault("Client.ValidationError", INT_OUT_OF_RANGE.format(value=quoted))
        return value

    def fault_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, *args: Any, **kwargs: Any) -> Any:
        # a Fault quotes at most max_quoted_chars of a client's value, whoever raised it (spyne echoes whole values)
        if isinstance(inst.faultstring, str):
            inst.faultstring = shorten(inst.faultstring, self.limits.max_quoted_chars * 4)
        return super().fault_to_parent(ctx, cls, inst, parent, ns, *args, **kwargs)  # type: ignore[misc]


class KassaSoap11(_KassaXmlMixin, Soap11):
    def __init__(self, limits: EnvelopeLimits = EnvelopeLimits()) -> None:
        Soap11.__init__(self, cleanup_namespaces=False)
        self._install(limits)


class KassaSoap12(_KassaXmlMixin, Soap12):
    def __init__(self, limits: EnvelopeLimits = EnvelopeLimits()) -> None:
        Soap12.__init__(self, cleanup_namespaces=False)
        self._install(limits)


def parse_header(value: str) -> tuple[str, dict[str, str]]:
    """What ``cgi.parse_header`` did, without the ``cgi`` module (deprecated in 3.11, gone in 3.13): ``text/xml;
    charset=utf-8`` → ``("text/xml", {"charset": "utf-8"})``; parameter names lower-cased, quoted values unquoted."""
    parts = _header_parts(";" + value)
    key = next(parts)
    params: dict[str, str] = {}
    for part in parts:
        name, sep, raw = part.partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        params[name.strip().lower()] = raw
    return key, params


def _header_parts(text: str) -> Iterator[str]:
    """The ``;``-separated parts of a header value, a ``;`` inside quotes not separating."""
    while text[:1] == ";":
        text = text[1:]
        end = text.find(";")
        while end > 0 and (text.count('"', 0, end) - text.count('\\"', 0, end)) % 2:
            end = text.find(";", end + 1)
        if end < 0:
            end = len(text)
        yield text[:end].strip()
        text = text[end:]
