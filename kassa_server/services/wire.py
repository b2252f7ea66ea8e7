"""spyne models of the wire types, spelled as 1C spells them (soap-services.md §2.2), and the spyne signature of every
operation, derived from ``contract.py``.

Complex 1C values (``v8:Structure``, ``v8:Array``, ``d:PrepareDataOperationResult``) are ``XmlContent``: the handler
builds the element's children with lxml (``services/values.py``), which spyne places verbatim. On input,
``XmlContent`` hands the whole element to the handler.

``operation(contract)`` is the only place a service method gets its spyne types: the request types, the response
types with their nillability and the out-variable names all come from the contract table, and the method's own
parameter names must be the contract's request names. An operation is therefore changed in ``contract.py`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from spyne import AnyXml, Boolean, ByteArray, Decimal, Integer32, Unicode, rpc

from kassa_server.services.contract import EDE_TYPES, V8_CORE, XS, XSI, Param, ServiceContract

WIRE_NSMAP = {"xs": XS, "xsi": XSI, "v8": V8_CORE}

F = TypeVar("F", bound=Callable[..., Any])


class V8UUID(Unicode):
    __type_name__ = "UUID"
    __namespace__ = V8_CORE


class V8ValueStorage(ByteArray):
    __type_name__ = "ValueStorage"
    __namespace__ = V8_CORE


class XmlContent(AnyXml):
    """An element whose children the handler builds; the value is a sequence of lxml elements."""


class V8Structure(XmlContent):
    __type_name__ = "Structure"
    __namespace__ = V8_CORE


class V8Array(XmlContent):
    __type_name__ = "Array"
    __namespace__ = V8_CORE


class PrepareDataOperationResult(XmlContent):
    __type_name__ = "PrepareDataOperationResult"
    __namespace__ = EDE_TYPES


SPYNE_TYPES: dict[str, Any] = {
    "xs:string": Unicode,
    "xs:boolean": Boolean,
    "xs:int": Integer32,
    "xs:decimal": Decimal,
    "xs:base64Binary": ByteArray,
    "v8:UUID": V8UUID,
    "v8:ValueStorage": V8ValueStorage,
    "v8:Structure": V8Structure,
    "v8:Array": V8Array,
    "d:PrepareDataOperationResult": PrepareDataOperationResult,
}
"""Contract type → spyne model. Requests use the model as is (the nillability of inputs only matters in the WSDL,
which ``contract.py`` owns)."""


def response_type(param: Param) -> Any:
    """The spyne model of a response element: ``min_occurs=1`` so spyne writes ``xsi:nil`` for None instead of
    dropping the element (soap-services.md §2: 1..1), nillable as the contract says."""
    return SPYNE_TYPES[param.type].customize(min_occurs=1, nillable=param.nillable)


def operation(contract: ServiceContract) -> Callable[[F], F]:
    """A decorator that declares a service method as the contract operation of the same name (``@rpc``)."""

    def decorate(method: F) -> F:
        op = contract.operation(method.__name__)
        code = method.__code__
        names = code.co_varnames[1 : code.co_argcount]  # after ``ctx``
        expected = tuple(p.name for p in op.request)
        if names != expected:
            raise TypeError(f"{contract.name}.{op.name}: parameters {names} differ from the contract's {expected}")
        returns = tuple(response_type(p) for p in op.response)
        out_names = tuple(p.name for p in op.response)
        request = [SPYNE_TYPES[p.type] for p in op.request]
        if len(returns) == 1:
            declared = rpc(*request, _returns=returns[0], _out_variable_name=out_names[0])
        else:
            declared = rpc(*request, _returns=returns, _out_variable_names=out_names)
        return declared(method)

    return decorate


def bytes_of(value: Any) -> bytes:
    """spyne hands base64 values over as a sequence of chunks."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    chunks = list(value)
    if len(chunks) == 1 and isinstance(chunks[0], bytes):
        return chunks[0]  # the usual case: no second copy of a large part
    return b"".join(chunks)
