"""A light SOAP engine for big fleets: envelopes from templates, one pooled HTTP client per process.

zeep costs the simulator about as much CPU per call as the server spends answering it, so a fleet on the same machine
measured the client as much as the server. `TemplateService` has the interface of `SoapService` (``call`` and
``close``) and the same results as far as the flows read them, but it:

* reads each service's WSDL once per process with zeep (the same cached document `SoapService` uses) and compiles,
  for every operation of the `<Service>Soap` binding, a text template of its request envelope (element names and
  namespaces from the WSDL) and a converter of its response (boolean → bool, base64Binary → bytes, complex types →
  attribute objects, repeated elements → lists, the rest → str);
* checks every template once against zeep: the envelope zeep builds for sample arguments must have the same elements,
  in the same order, with the same texts as the template's;
* sends over one `urllib3.PoolManager` per process (keep-alive connections shared by every device thread) and parses
  answers with lxml.

Still HTTP only, still nothing imported from the server.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import urllib3
import zeep
from lxml import etree

from .connection import ConnectionParams
from .soap import SETTINGS, CallRecorder, SimulatorError, SoapService, basic_authorization

__all__ = ["ENGINES", "TemplateService", "http_pool"]

ENGINES = ("zeep", "template")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_FAULT = f"{{{SOAP_ENV}}}Fault"

_pool: urllib3.PoolManager | None = None
_pool_lock = threading.Lock()
_compiled: dict[str, dict[str, _Operation]] = {}
_compiled_lock = threading.Lock()


def http_pool(maxsize: int = 256) -> urllib3.PoolManager:
    """The process's pooled HTTP client: keep-alive connections per host, shared by every device thread."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = urllib3.PoolManager(maxsize=maxsize, block=False, retries=False)
        return _pool


@dataclass(frozen=True)
class _Slot:
    name: str
    open: str
    close: str


@dataclass(frozen=True)
class _Shape:
    """How one response element becomes a Python value."""

    kind: str  # bool | bytes | str | complex
    repeated: bool = False
    children: tuple[tuple[str, _Shape], ...] = ()


@dataclass(frozen=True)
class _Operation:
    name: str
    action: str
    head: str
    slots: tuple[_Slot, ...]
    tail: str
    output: tuple[tuple[str, _Shape], ...]


def _tag(qname: Any, prefix: str) -> tuple[str, str]:
    """Open and close tags of an element of this QName; unqualified elements get no prefix."""
    q = etree.QName(qname)
    if q.namespace:
        return f"<{prefix}:{q.localname}>", f"</{prefix}:{q.localname}>"
    return f"<{q.localname}>", f"</{q.localname}>"


def _shape(element: Any) -> _Shape:
    repeated = element.max_occurs != 1
    kind_type = element.type
    children = getattr(kind_type, "elements", None)
    if children:
        return _Shape("complex", repeated, tuple((name, _shape(child)) for name, child in children))
    local = etree.QName(kind_type.qname).localname if getattr(kind_type, "qname", None) is not None else ""
    kind = {"boolean": "bool", "base64Binary": "bytes"}.get(local, "str")
    return _Shape(kind, repeated)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, int | Decimal):
        return str(value)
    return escape(str(value))


def _convert(element: Any, shape: _Shape) -> Any:
    if element.get(XSI_NIL) in ("true", "1"):
        return None
    if shape.kind == "complex":
        values: dict[str, Any] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            child_shape = dict(shape.children).get(local, _Shape("str"))
            value = _convert(child, child_shape)
            if child_shape.repeated:
                values.setdefault(local, []).append(value)
            else:
                values[local] = value
        for name, child_shape in shape.children:
            values.setdefault(name, [] if child_shape.repeated else None)
        return SimpleNamespace(**values)
    text = element.text or ""
    if shape.kind == "bool":
        return text.strip() in ("true", "1")
    if shape.kind == "bytes":
        return binascii.a2b_base64(text)
    return text


def _compile(document: Any, service: str) -> dict[str, _Operation]:
    port = document.services[service].ports[f"{service}Soap"]
    operations = {}
    for name, operation in port.binding._operations.items():
        body = operation.input.body
        if any(getattr(element.type, "elements", None) for _, element in body.type.elements):
            continue  # complex arguments (v8 structures of CreateExchange…): not templated; the flows never send them
        wrapper = etree.QName(body.qname)
        ns = f' xmlns:m="{wrapper.namespace}"' if wrapper.namespace else ""
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Body>'
            f"<{'m:' if ns else ''}{wrapper.localname}{ns}>"
        )
        tail = f"</{'m:' if ns else ''}{wrapper.localname}></soap-env:Body></soap-env:Envelope>"
        slots = tuple(_Slot(arg, *_tag(element.qname, "m")) for arg, element in body.type.elements)
        output = tuple((child, _shape(element)) for child, element in operation.output.body.type.elements)
        operations[name] = _Operation(name, operation.soapaction or "", head, slots, tail, output)
    return operations


_SAMPLES = {"bool": True, "bytes": b"\x00template\xff", "str": "a<&>b"}


def _check(document: Any, service: str, operations: dict[str, _Operation]) -> None:
    """Our envelope of each operation against zeep's for sample arguments: same elements, order and texts."""
    client = zeep.Client(document, settings=SETTINGS)
    port = document.services[service].ports[f"{service}Soap"]
    proxy = client.create_service(port.binding.name, "http://127.0.0.1/")
    for name, operation in operations.items():
        args: dict[str, Any] = {}
        for arg, element in port.binding._operations[name].input.body.type.elements:
            local = etree.QName(element.type.qname).localname if getattr(element.type, "qname", None) else ""
            args[arg] = {
                "boolean": True,
                "base64Binary": _SAMPLES["bytes"],
                "decimal": Decimal("12.5"),
                "int": 7,
                "integer": 7,
                "long": 7,
            }.get(local, _SAMPLES["str"])
        theirs = client.create_message(proxy, name, **args)
        ours = etree.fromstring(_render(operation, args))

        def walk(root: Any) -> list[tuple[str, str]]:
            body = root.find(f"{{{SOAP_ENV}}}Body")
            return [(str(el.tag), (el.text or "").strip()) for el in body.iter() if el is not body]

        if walk(theirs) != walk(ours):
            raise SimulatorError(
                "protocol", f"{service}.{name}", f"the template disagrees with the WSDL: {walk(ours)} != {walk(theirs)}"
            )


def compiled(document: Any, service: str, url: str) -> dict[str, _Operation]:
    with _compiled_lock:
        found = _compiled.get(url)
    if found is None:
        found = _compile(document, service)
        _check(document, service, found)
        with _compiled_lock:
            _compiled[url] = found
    return found


def _render(operation: _Operation, arguments: dict[str, Any]) -> bytes:
    parts = [operation.head]
    for slot in operation.slots:
        value = arguments.get(slot.name)
        if value is None:
            continue
        parts += (slot.open, _format(value), slot.close)
    parts.append(operation.tail)
    return "".join(parts).encode("utf-8")


class TemplateService(SoapService):
    """`SoapService`'s interface over templates and the pooled client (see the module's docstring)."""

    def __init__(self, params: ConnectionParams, service: str, recorder: CallRecorder, *, timeout: float = 600.0):
        super().__init__(params, service, recorder, timeout=timeout)
        self.url = params.service_url(service)
        self.headers = {
            "Authorization": basic_authorization(params.user, params.password),
            "Content-Type": "text/xml; charset=utf-8",
        }
        self.http_timeout = urllib3.Timeout(connect=min(timeout, 30.0), read=timeout)
        self._operations: dict[str, _Operation] | None = None

    @property
    def operations(self) -> dict[str, _Operation]:
        if self._operations is None:
            document = self._document()
            try:
                self._operations = compiled(document, self.service, self.params.wsdl_url(self.service))
            except SimulatorError:
                raise
            except Exception as exc:
                raise SimulatorError("protocol", f"{self.service}.wsdl", f"{type(exc).__name__}: {exc}") from exc
        return self._operations

    def call(self, operation: str, **arguments: Any) -> Any:
        name = f"{self.service}.{operation}"
        compiled_operation = self.operations.get(operation)
        if compiled_operation is None:
            raise SimulatorError("protocol", name, "no such operation in the WSDL")
        body = _render(compiled_operation, arguments)
        headers = {**self.headers, "SOAPAction": f'"{compiled_operation.action}"'}
        started = time.perf_counter()
        try:
            response = http_pool().request(
                "POST", self.url, body=body, headers=headers, timeout=self.http_timeout, retries=False
            )
        except urllib3.exceptions.TimeoutError as exc:
            raise SimulatorError("timeout", name, str(exc)[:200]) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise SimulatorError("connection", name, str(exc)[:200]) from exc
        data = response.data
        if response.status >= 400 and b"Envelope" not in data[:4096]:
            raise SimulatorError(f"http_{response.status}", name, f"HTTP {response.status}: {data[:200]!r}")
        try:
            root = etree.fromstring(data, parser=_parser())
            answer = next(iter(root.find(f"{{{SOAP_ENV}}}Body")))
        except (etree.XMLSyntaxError, TypeError, StopIteration) as exc:
            raise SimulatorError("protocol", name, f"not a SOAP answer: {data[:200]!r}") from exc
        if answer.tag == _FAULT:
            raise SimulatorError("fault", name, answer.findtext("faultstring") or "")
        if response.status >= 400:
            raise SimulatorError(f"http_{response.status}", name, f"HTTP {response.status}")
        result = _convert(answer, _Shape("complex", children=compiled_operation.output))
        self.recorder.record_call(name, time.perf_counter() - started)
        return vars(result)

    def close(self) -> None:
        super().close()


_parsers = threading.local()


def _parser() -> etree.XMLParser:
    """An lxml parser of this thread (parsers are not shared between threads); no entities, no network."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return parser
