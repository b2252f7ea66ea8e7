"""The SOAP 1.1 and 1.2 protocols spyne speaks here: hardened parsing and ``XmlContent``.

Requests are parsed by the envelope parser of ``enterprisedata/xmlsafe.py`` (no DTD, no entities, no network; large
text nodes allowed). spyne's own gaps become client Faults with the texts of ``services/faults.py``: an empty body,
an empty ``Body``, a Fault sent as a request, invalid base64, a DTD.
"""

from __future__ import annotations

import binascii
import cgi
from typing import Any

from lxml import etree
from spyne import Fault
from spyne.const.http import HTTP_405
from spyne.error import RequestNotAllowed
from spyne.protocol import ProtocolBase
from spyne.protocol.soap import Soap11, Soap12
from spyne.protocol.soap.mime import collapse_swa
from spyne.server.http import HttpTransportContext

from kassa_server.enterprisedata.xmlsafe import envelope_parser
from kassa_server.services.faults import EMPTY_BODY, EMPTY_REQUEST, FAULT_AS_REQUEST, FORBIDDEN_DTD, INVALID_BASE64
from kassa_server.services.wire import WIRE_NSMAP, XmlContent


def _russian_fault(code: str, text: str) -> Fault:
    return Fault(code, text, lang="ru")


def parse_envelope(chunks: list[bytes], charset: str | None) -> tuple[etree._Element, dict[str, Any]]:
    """The request document and its ``xml:id`` map, as spyne's ``_parse_xml_string`` reads them."""
    data: Any = b"".join(chunks)
    if charset:
        data = data.decode(charset)
    parser = envelope_parser()
    try:
        try:
            return etree.XMLID(data, parser)
        except ValueError:  # a str with an encoding declaration
            return etree.XMLID(data.encode(charset), parser)
    except etree.XMLSyntaxError as exc:
        raise Fault("Client.XMLSyntaxError", str(exc)) from None


class _KassaXmlMixin:
    """Hardened parsing and ``XmlContent`` on top of spyne's SOAP protocol."""

    serialization_handlers: Any
    deserialization_handlers: Any
    ns_soap_env: str

    def _install(self) -> None:
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
            ctx.in_string = collapse_swa(ctx, cgi.parse_header(content_type), self.ns_soap_env)
        ctx.in_document = parse_envelope(list(ctx.in_string), charset)
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
            return super().byte_array_from_element(ctx, cls, element)  # type: ignore[misc]
        except binascii.Error:
            name = etree.QName(element).localname
            raise _russian_fault("Client.ValidationError", INVALID_BASE64.format(name=name)) from None


class KassaSoap11(_KassaXmlMixin, Soap11):
    def __init__(self) -> None:
        Soap11.__init__(self, cleanup_namespaces=False)
        self._install()


class KassaSoap12(_KassaXmlMixin, Soap12):
    def __init__(self) -> None:
        Soap12.__init__(self, cleanup_namespaces=False)
        self._install()
