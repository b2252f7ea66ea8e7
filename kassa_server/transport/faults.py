"""Fault injection at the SOAP edge: a rule that fired (``Injection``) turns into a delay, a different answer, a
rewritten answer, or a connection closed halfway. The exchange logic runs (or not) unaware of it.

Which call a rule matches is read from the request itself before it runs: the operation is the first element of the
SOAP Body, the device the ``NodeCode``/``PeerCode`` it names (parts and status polls name none).
"""

from __future__ import annotations

import base64
import re
import struct
from typing import Protocol

from lxml import etree
from starlette.types import Send

from kassa_server.admin.faults import Injection
from kassa_server.enterprisedata.xmlsafe import own_document_parser
from kassa_server.services.faults import EXPORT_FAILED, GENERIC_ERROR, fault_envelope
from kassa_server.transport.auth import REALM_HEADER
from kassa_server.transport.wsgi_bridge import WsgiResponse

BEFORE = frozenset({"soap_fault", "http_status"})
"""Kinds answered instead of running the operation."""
AFTER = frozenset({"truncate_part", "corrupt_part", "bad_zip_checksum", "operation_active", "operation_failed"})
"""Kinds that rewrite the operation's real answer."""

HTTP_BODIES = {  # what a 1C publication behind Apache answers [I]: not captured from a real server
    401: b"",
    404: b"Not Found",
    500: GENERIC_ERROR.encode("utf-8"),
    503: b"Service Unavailable",
}
_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)", re.S)
_DEVICE = re.compile(rb"<(?:[\w.-]+:)?(?:NodeCode|PeerCode)\b[^>/]*>\s*([^<\s][^<]*?)\s*</", re.S)
_STATUSES = {"Active", "Completed", "Failed", "Canceled"}


class FaultSource(Protocol):
    """``take`` runs in a thread. A source may also offer ``idle()``: True when ``take`` would surely answer None,
    asked on the event loop (it must not block)."""

    def take(self, *, infobase: str, service: str, operation: str, device: str) -> Injection | None: ...


def sniff(body: bytes) -> tuple[str, str]:
    """(operation, device) a SOAP request names, read without parsing; empty strings when it names none."""
    operation = _OPERATION.search(body[:8192])
    device = _DEVICE.search(body[:65536])
    return (
        operation.group(1).decode("utf-8", "replace") if operation else "",
        device.group(1).decode("utf-8", "replace") if device else "",
    )


def delay_seconds(injection: Injection) -> float:
    return int(injection.params.get("delay_ms", 1000)) / 1000 if injection.kind == "delay" else 0.0


def instead(injection: Injection, soap_version: str) -> WsgiResponse:
    """The answer for a ``BEFORE`` kind."""
    if injection.kind == "soap_fault":
        content_type, body = fault_envelope(soap_version, str(injection.params.get("text") or GENERIC_ERROR))
        return WsgiResponse(500, [("content-type", content_type)], body)
    status = int(injection.params.get("status", 503))
    headers = [("content-type", "text/plain; charset=utf-8")]
    if status == 401:
        headers.append(("www-authenticate", REALM_HEADER))
    text = injection.params.get("body")
    return WsgiResponse(status, headers, text.encode("utf-8") if text is not None else HTTP_BODIES.get(status, b""))


def rewrite(injection: Injection, response: WsgiResponse) -> WsgiResponse:
    """The real answer changed by an ``AFTER`` kind; a Fault or an answer without the expected parts stays as is."""
    if response.status != 200:
        return response
    try:
        root = etree.fromstring(response.body, own_document_parser())  # our own answer, not client input
    except etree.XMLSyntaxError:
        return response
    if injection.kind in ("operation_active", "operation_failed"):
        changed = _set_status(root, injection)
    else:
        changed = _change_part(root, injection.kind)
    if not changed:
        return response
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return WsgiResponse(response.status, response.headers, body)


async def send_half_and_close(send: Send, response: WsgiResponse) -> None:
    """Send the headers with the full length and half of the body, then stop: the server closes the connection."""
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in response.headers if n.lower() != "content-length"]
    headers.append((b"content-length", str(len(response.body)).encode()))
    try:
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body[: len(response.body) // 2], "more_body": True})
    except OSError:
        pass


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _set_status(root: etree._Element, injection: Injection) -> bool:
    status = "Active" if injection.kind == "operation_active" else "Failed"
    message = "" if status == "Active" else str(injection.params.get("error_message") or EXPORT_FAILED)
    changed = False
    for element in root.iter():
        name = _local(element)
        if (element.text or "").strip() in _STATUSES and not len(element):
            element.text = status
            changed = True
        elif name in ("ErrorMessage", "ResultMessage"):
            _set_text(element, message)
        elif name == "FileID" and status == "Active":
            element.text = ""
        elif name == "PartCount" and status == "Active":
            element.text = "0"
    return changed


def _set_text(element: etree._Element, text: str) -> None:
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    if text:
        element.attrib.pop(nil, None)
        element.text = text
    else:
        element.text = None


def _change_part(root: etree._Element, kind: str) -> bool:
    elements = sorted(
        (e for e in root.iter() if _local(e) in ("PartData", "return")), key=lambda e: _local(e) != "PartData"
    )
    for element in elements[:1]:
        if not (element.text or "").strip():
            continue
        try:
            data = base64.b64decode(element.text or "", validate=False)
        except ValueError:
            continue
        if not data:
            continue
        element.text = base64.b64encode(_damage(data, kind)).decode("ascii")
        return True
    return False


def _damage(data: bytes, kind: str) -> bytes:
    if kind == "truncate_part":
        return data[: len(data) // 2]
    if kind == "corrupt_part":
        out = bytearray(data)
        for index in range(len(out) // 3, len(out), max(1, len(out) // 16)):
            out[index] ^= 0xFF
        return bytes(out)
    return _break_crc(data)


def _break_crc(data: bytes) -> bytes:
    """Invert the CRC-32 of every ZIP entry header in ``data`` (local headers and central directory)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        start = 0
        while (index := out.find(signature, start)) >= 0 and index + offset + 4 <= len(out):
            (crc,) = struct.unpack_from("<I", out, index + offset)
            struct.pack_into("<I", out, index + offset, crc ^ 0xFFFFFFFF)
            start = index + 4
    return bytes(out)
