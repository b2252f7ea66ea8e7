"""The served WSDL against 1C's conventions (soap-services.md §2) and against spyne's dispatch."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from kassa_server.services.application import build_services
from kassa_server.services.contract import SERVICES, V8_CORE, XS, Direction, ServiceContract
from kassa_server.services.wsdl import render_wsdl
from tests.soap_support import SoapServer

W = "{http://schemas.xmlsoap.org/wsdl/}"
XSD = f"{{{XS}}}"
SOAP11 = "{http://schemas.xmlsoap.org/wsdl/soap/}"
SOAP12 = "{http://schemas.xmlsoap.org/wsdl/soap12/}"

SPYNE_TYPES = {
    ("http://www.w3.org/2001/XMLSchema", "string"): "xs:string",
    ("http://www.w3.org/2001/XMLSchema", "boolean"): "xs:boolean",
    ("http://www.w3.org/2001/XMLSchema", "int"): "xs:int",
    ("http://www.w3.org/2001/XMLSchema", "decimal"): "xs:decimal",
    ("http://www.w3.org/2001/XMLSchema", "base64Binary"): "xs:base64Binary",
    (V8_CORE, "UUID"): "v8:UUID",
    (V8_CORE, "Structure"): "v8:Structure",
    (V8_CORE, "Array"): "v8:Array",
    (V8_CORE, "ValueStorage"): "v8:ValueStorage",
    ("http://v8.1c.ru/SSL/Exchange/EnterpriseDataExchange", "PrepareDataOperationResult"): (
        "d:PrepareDataOperationResult"
    ),
}


def _served(contract: ServiceContract) -> etree._Element:
    return etree.fromstring(render_wsdl(contract, "http://example/kassa/ws/" + contract.descriptor))


def _wsdl_operations(doc: etree._Element, contract: ServiceContract) -> dict[str, tuple[list, list]]:
    """Operation → (request elements, response elements) as (name, resolved type, nillable), read from the WSDL."""
    nsmap = {p: u for p, u in doc.nsmap.items() if p}
    own = next(s for s in doc.iter(f"{XSD}schema") if s.get("targetNamespace") == contract.tns)
    elements = {e.get("name"): e for e in own.findall(f"{XSD}element")}

    def params(name: str) -> list[tuple[str, str, bool]]:
        out = []
        for element in elements[name].iter(f"{XSD}sequence").__next__():
            assert element.get("minOccurs") is None and element.get("maxOccurs") is None
            prefix, local = element.get("type").split(":")
            namespace = XS if prefix == "xsd" else nsmap[prefix]
            out.append((element.get("name"), SPYNE_TYPES[(namespace, local)], element.get("nillable") == "true"))
        return out

    port_type = doc.find(f"{W}portType")
    return {op.get("name"): (params(op.get("name")), params(op.get("name") + "Response")) for op in port_type}


@pytest.mark.parametrize("contract", SERVICES, ids=lambda c: c.name)
def test_wsdl_declares_exactly_what_spyne_dispatches(contract: ServiceContract) -> None:
    declared = _wsdl_operations(_served(contract), contract)
    service = build_services(1 << 20)[contract.name.lower()]
    dispatched = {}
    for descriptor in service.spyne_app.interface.service_method_map.values():
        method = descriptor[0]
        name = method.name
        request = [
            (key, SPYNE_TYPES[(cls.get_namespace(), cls.get_type_name())])
            for key, cls in method.in_message._type_info.items()
        ]
        response = [
            (key, SPYNE_TYPES[(cls.get_namespace(), cls.get_type_name())])
            for key, cls in method.out_message._type_info.items()
        ]
        assert method.in_message.get_type_name() == name
        assert method.out_message.get_type_name() == name + "Response"
        assert method.in_message.get_namespace() == contract.tns
        dispatched[name] = (request, response)
    assert set(dispatched) == set(declared)
    for name, (request, response) in declared.items():
        assert [(n, t) for n, t, _ in request] == dispatched[name][0], name
        assert [(n, t) for n, t, _ in response] == dispatched[name][1], name


def test_operation_counts_and_nillability_follow_the_spec() -> None:
    exchange, ede, versions = SERVICES
    assert len(exchange.operations) == 23 and len(ede.operations) == 9 and len(versions.operations) == 1
    upload = exchange.operation("UploadData")
    assert [p.name for p in upload.request] == [
        "ExchangePlanName",
        "NodeCode",
        "FileID",
        "ContinuousOperation",
        "Operation",
        "ContinuousOperationAllowed",
    ]
    assert [(p.name, p.nillable) for p in upload.response] == [
        ("return", True),
        ("FileID", True),
        ("ContinuousOperation", True),
        ("Operation", True),
    ]
    assert [(p.name, p.nillable) for p in exchange.operation("RegisterOnlyCatalogData").response] == [
        ("return", True),
        ("ContinuousOperation", False),
        ("Operation", True),
    ]
    assert exchange.operation("GetIBParameters").response[0].type == "v8:Structure"
    assert not exchange.operation("GetIBParameters").response[0].nillable
    assert [(p.name, p.nillable) for p in ede.operation("GetDataPart").response] == [
        ("return", True),
        ("ErrorMessage", True),
    ]
    assert ede.operation("PutFilePart").request[1].nillable  # PartNumber int? [V NET]
    assert all(p.direction is not Direction.OUT for p in exchange.operation("DownloadData").request)


@pytest.mark.parametrize("contract", SERVICES, ids=lambda c: c.name)
def test_wsdl_names_bindings_ports_and_soap_actions(contract: ServiceContract) -> None:
    doc = _served(contract)
    name = contract.name
    assert doc.get("name") == name and doc.get("targetNamespace") == contract.tns
    assert doc.find(f"{W}portType").get("name") == f"{name}PortType"
    bindings = {b.get("name"): b for b in doc.findall(f"{W}binding")}
    assert set(bindings) == {f"{name}SoapBinding", f"{name}Soap12Binding"}
    for binding_name, prefix in ((f"{name}SoapBinding", SOAP11), (f"{name}Soap12Binding", SOAP12)):
        binding = bindings[binding_name]
        assert binding.find(f"{prefix}binding").get("style") == "document"
        actions = {
            op.get("name"): op.find(f"{prefix}operation").get("soapAction") for op in binding.findall(f"{W}operation")
        }
        assert actions == {op.name: f"{contract.tns}#{name}:{op.name}" for op in contract.operations}
    messages = {m.get("name"): m.find(f"{W}part") for m in doc.findall(f"{W}message")}
    for op in contract.operations:
        assert messages[f"{op.name}RequestMessage"].get("element") == f"tns:{op.name}"
        assert messages[f"{op.name}ResponseMessage"].get("element") == f"tns:{op.name}Response"
        assert messages[f"{op.name}RequestMessage"].get("name") == "parameters"
    service = doc.find(f"{W}service")
    ports = [p.get("name") for p in service.findall(f"{W}port")]
    assert service.get("name") == name and ports == [f"{name}Soap", f"{name}Soap12"]
    assert service.find(f"{W}port/{SOAP11}address").get("location") == f"http://example/kassa/ws/{contract.descriptor}"


def test_exchange_soap_action_example_from_the_spec() -> None:
    doc = _served(SERVICES[0])
    ping = doc.xpath("//soapbind:operation[../@name='Ping']", namespaces={"soapbind": SOAP11[1:-1]})
    assert ping[0].get("soapAction") == "http://www.1c.ru/SSL/Exchange_2_0_1_6#Exchange_2_0_1_6:Ping"


@pytest.mark.parametrize(
    "path", ["Exchange_2_0_1_6", "exchange_2_0_1_6.1cws", "EXCHANGE_2_0_1_6", "Exchange_2_0_1_6.1CWS"]
)
def test_served_wsdl_over_http(soap_server: SoapServer, path: str) -> None:
    response = httpx.get(soap_server.url(path) + "?WSDL", auth=soap_server.auth)
    assert response.status_code == 200
    doc = etree.fromstring(response.content)
    location = doc.find(f"{W}service/{W}port/{SOAP11}address").get("location")
    assert location == f"{soap_server.base_url}/kassa/ws/exchange_2_0_1_6.1cws"
