"""The wire contract pinned on raw envelopes (the audit of soap-services.md): every answer of every operation is
checked against the schema of the WSDL we serve, and the soft errors, empty strings, nils and exact Russian fault
texts are asserted on the XML itself, over SOAP 1.1 and 1.2.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from lxml import etree

from kassa_server.exchange.errors import MessageRejected
from kassa_server.services.application import build_services
from kassa_server.services.contract import EDE_TYPES, SERVICES, V8_CORE, XS, XSI
from kassa_server.settings import Settings
from tests.soap_support import NODE, PLAN, FakeGateway, SoapServer, start_server, zip_bytes

EXCHANGE = "Exchange_2_0_1_6"
EDE = "EnterpriseDataExchange_1_0_1_1"
VERSIONS = "InterfaceVersion"
TNS = {
    EXCHANGE: "http://www.1c.ru/SSL/Exchange_2_0_1_6",
    EDE: "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1",
    VERSIONS: "http://www.1c.ru/SaaS/1.0/WS",
}
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NIL = f"{{{XSI}}}nil"
XSI_TYPE = f"{{{XSI}}}type"


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def soap12(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


class Wire:
    """Raw SOAP calls against a live server; answers are the response wrapper (or the Fault) as lxml elements."""

    def __init__(self, server: SoapServer, soap12: bool) -> None:
        self.server = server
        self.soap12 = soap12
        self.env = SOAP12 if soap12 else SOAP11

    def call(self, service: str, operation: str, body: str = "") -> tuple[int, etree._Element]:
        tns = TNS[service]
        xml = (
            f'<s:Envelope xmlns:s="{self.env}" xmlns:m="{tns}" xmlns:xsi="{XSI}"><s:Body>'
            f"<m:{operation}>{body}</m:{operation}></s:Body></s:Envelope>"
        )
        action = f"{tns}#{service}:{operation}"
        if self.soap12:
            headers = {"content-type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        else:
            headers = {"content-type": "text/xml; charset=utf-8", "soapaction": f'"{action}"'}
        response = httpx.post(self.server.url(service), content=xml.encode(), headers=headers, auth=self.server.auth)
        root = etree.fromstring(response.content)
        body_element = root.find(f"{{{self.env}}}Body")
        assert body_element is not None
        return response.status_code, body_element[0]

    def ok(self, service: str, operation: str, body: str = "") -> etree._Element:
        status, reply = self.call(service, operation, body)
        assert status == 200, etree.tostring(reply, encoding="unicode")
        assert reply.tag == f"{{{TNS[service]}}}{operation}Response"
        return reply

    def fault(self, service: str, operation: str, body: str = "") -> str:
        """The fault text; also checks 1C's Fault form: 500, Server/Receiver, no detail, Russian."""
        status, fault = self.call(service, operation, body)
        assert status == 500 and fault.tag == f"{{{self.env}}}Fault"
        if self.soap12:
            value = fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value") or ""
            assert _resolve(fault, value) == f"{{{SOAP12}}}Receiver"
            text = fault.find(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text")
            assert text is not None and text.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
            assert fault.find(f"{{{SOAP12}}}Detail") is None
            return text.text or ""
        assert _resolve(fault, fault.findtext("faultcode") or "") == f"{{{SOAP11}}}Server"
        assert fault.find("detail") is None
        return fault.findtext("faultstring") or ""


def _resolve(element: etree._Element, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    return f"{{{element.nsmap[prefix or None]}}}{local}"


def children(reply: etree._Element) -> list[tuple[str, str | None, bool]]:
    """(local name, text, nil) of each child, in order."""
    return [(etree.QName(c).localname, c.text, c.get(NIL) == "true") for c in reply]


def schema_of_served_wsdl(server: SoapServer, service: str, folder: Path) -> etree.XMLSchema:
    """The WSDL's ``types`` as one compiled schema. The open type's ``xs:any`` wildcards are dropped first: with them
    the schema breaks XSD 1.0's Unique Particle Attribution rule, which libxml2 enforces (enterprisedata.md §9)."""
    wsdl = etree.fromstring(httpx.get(server.url(service) + "?wsdl", auth=server.auth).content)
    schemas = wsdl.findall(f"{{http://schemas.xmlsoap.org/wsdl/}}types/{{{XS}}}schema")
    files = {s.get("targetNamespace"): folder / f"{service}-{i}.xsd" for i, s in enumerate(schemas)}
    for schema in schemas:
        schema = etree.fromstring(etree.tostring(schema))
        for wildcard in [*schema.iter(f"{{{XS}}}any", f"{{{XS}}}anyAttribute")]:
            wildcard.getparent().remove(wildcard)
        for declaration in schema.findall(f"{{{XS}}}import"):
            declaration.set("schemaLocation", files[declaration.get("namespace")].as_uri())
        files[schema.get("targetNamespace")].write_bytes(etree.tostring(schema))
    return etree.XMLSchema(etree.parse(str(files[TNS[service]])))


def test_every_answer_validates_against_the_served_wsdl(soap_server: SoapServer, soap12: bool, tmp_path: Path) -> None:
    wire = Wire(soap_server, soap12)
    schemas = {service: schema_of_served_wsdl(soap_server, service, tmp_path) for service in TNS}
    answers: list[tuple[str, etree._Element]] = []

    def ok(service: str, operation: str, body: str = "") -> etree._Element:
        reply = wire.ok(service, operation, body)
        answers.append((service, reply))
        return reply

    plan_node = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode>"
    ok(VERSIONS, "GetVersions", "<m:InterfaceName>ОбменДанными</m:InterfaceName>")
    ok(VERSIONS, "GetVersions", "<m:InterfaceName>Другое</m:InterfaceName>")
    ok(EXCHANGE, "Ping")
    ok(EXCHANGE, "TestConnection", plan_node)
    ok(EXCHANGE, "TestConnection", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>x</m:NodeCode>")
    ok(EXCHANGE, "GetIBParameters", plan_node + '<m:ResultMessage xsi:nil="true"/>')
    ok(EXCHANGE, "GetIBParameters", "<m:ExchangePlanName>Чужой</m:ExchangePlanName><m:NodeCode/><m:ResultMessage/>")
    ok(EXCHANGE, "GetIBData", "<m:TableName>x</m:TableName>")
    ok(EXCHANGE, "GetCommonNodsData", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName>")
    ok(
        EXCHANGE,
        "CreateExchange",
        f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:Parameters>&lt;x/&gt;</m:Parameters>"
        "<m:FilterSettings/><m:AdditionalSettings/>",
    )
    ok(EXCHANGE, "UpdateExchange", plan_node + "<m:AdditionalSettings/>")
    ok(EXCHANGE, "RegisterOnlyCatalogData", plan_node + "<m:ContinuousOperation>false</m:ContinuousOperation>")
    ok(EXCHANGE, "RegisterAllDataExceptCatalogs", plan_node + "<m:ContinuousOperation>false</m:ContinuousOperation>")
    ok(EXCHANGE, "GetFunctionalOption", "<m:Name>ИспользоватьСинхронизациюДанных</m:Name>")
    ok(EXCHANGE, "FileExists", "<m:FileName>x</m:FileName>")
    upload = ok(
        EXCHANGE,
        "UploadData",
        plan_node + '<m:FileID/><m:ContinuousOperation xsi:nil="true"/><m:Operation xsi:nil="true"/>'
        "<m:ContinuousOperationAllowed>true</m:ContinuousOperationAllowed>",
    )
    file_id = upload[1].text
    prepared = ok(EXCHANGE, "PrepareGetFile", f"<m:FileId>{file_id}</m:FileId><m:BlockSize>0</m:BlockSize>")
    transfer = prepared[1].text
    ok(EXCHANGE, "GetFilePart", f"<m:TransferId>{transfer}</m:TransferId><m:PartNumber>1</m:PartNumber>")
    ok(EXCHANGE, "ReleaseFile", f"<m:TransferId>{transfer}</m:TransferId>")
    ok(EXCHANGE, "GetContinuousOperationStatus", f"<m:Operation>{uuid.uuid4()}</m:Operation>")
    incoming = uuid.uuid4()
    payload = base64.b64encode(zip_bytes([("Message.xml", b"<Message/>")])).decode()
    ok(EXCHANGE, "PutFilePart", f"<m:TransferId>{incoming}</m:TransferId><m:PartNumber xsi:nil='true'/>"
       f"<m:PartData>{payload}</m:PartData>")  # fmt: skip
    saved = ok(
        EXCHANGE, "SaveFileFromParts", f"<m:TransferId>{incoming}</m:TransferId><m:PartQuantity>1</m:PartQuantity>"
    )
    ok(
        EXCHANGE,
        "DownloadData",
        f"{plan_node}<m:FileID>{saved[1].text}</m:FileID><m:ContinuousOperation>false</m:ContinuousOperation>"
        "<m:Operation/><m:ContinuousOperationAllowed>false</m:ContinuousOperationAllowed>",
    )

    plan_peer = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>{NODE}</m:PeerCode>"
    ok(EDE, "Ping")
    ok(EDE, "TestConnection", plan_peer)
    ok(EDE, "TestConnection", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>x</m:PeerCode>")
    operation = ok(EDE, "PrepareDataForGetting", plan_peer + "<m:PartSize>0</m:PartSize>")[1].text
    result = ok(EDE, "PrepareDataActionResult", f"<m:OperationID>{operation}</m:OperationID>")
    ede_file = result[0].findtext(f"{{{EDE_TYPES}}}FileID")
    ok(EDE, "PrepareDataActionResult", f"<m:OperationID>{uuid.uuid4()}</m:OperationID>")
    ok(EDE, "GetDataPart", f"<m:FileID>{ede_file}</m:FileID><m:PartNumber>1</m:PartNumber>")
    ok(EDE, "GetDataPart", f"<m:FileID>{ede_file}</m:FileID><m:PartNumber>2</m:PartNumber>")
    ok(EDE, "ConfirmGettingFile", f"<m:FileID>{ede_file}</m:FileID><m:ClearDataPool>true</m:ClearDataPool>")
    ok(EDE, "PutFilePart", f"<m:FileID>up</m:FileID><m:PartNumber>0</m:PartNumber><m:PartData>{payload}</m:PartData>")
    put = ok(EDE, "PutData", plan_peer + "<m:FileID>up</m:FileID>")
    ok(EDE, "PutDataActionResult", f"<m:OperationID>{put[1].text}</m:OperationID>")

    for service, reply in answers:
        document = etree.ElementTree(etree.fromstring(etree.tostring(reply)))
        schema = schemas[service]
        assert schema.validate(document), (etree.QName(reply).localname, str(schema.error_log))
    # every operation but the four that always fault (Upload, Download, PutFileIntoStorage, GetFileFromStorage)
    assert len({(service, etree.QName(reply).localname) for service, reply in answers}) == 19 + 9 + 1


def test_empty_strings_nils_and_soft_errors_on_the_wire(soap_server: SoapServer, soap12: bool) -> None:
    wire = Wire(soap_server, soap12)
    assert children(wire.ok(EXCHANGE, "Ping")) == [("return", None, False)]  # "" (an empty element), not nil
    assert children(wire.ok(EDE, "Ping")) == [("return", None, False)]

    missing = wire.ok(
        EXCHANGE, "TestConnection", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>x</m:NodeCode>"
    )
    assert children(missing) == [
        ("return", "false", False),
        (
            "Result",
            'В "Магазин у дома" не найдена настройка синхронизации данных '
            '"Синхронизация данных через универсальный формат" с идентификатором "x".',
            False,
        ),
    ]
    unknown = str(uuid.uuid4())
    status = wire.ok(EXCHANGE, "GetContinuousOperationStatus", f"<m:Operation>{unknown}</m:Operation>")
    assert children(status) == [
        ("return", "Canceled", False),
        ("ResultMessage", f"Не найдено длительной операции с идентификатором {unknown}.", False),
    ]

    # EDE: ErrorMessage is "" on success, never nil (soap-services.md §4.1)
    plan_peer = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>{NODE}</m:PeerCode>"
    assert children(wire.ok(EDE, "TestConnection", plan_peer)) == [
        ("return", "true", False),
        ("ErrorMessage", None, False),
    ]
    node_missing = wire.ok(
        EDE, "TestConnection", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>x</m:PeerCode>"
    )
    assert children(node_missing)[1] == (
        "ErrorMessage",
        "Заданный узел плана обмена не найден. Обратитесь к администратору приложения.",
        False,
    )
    prepared = wire.ok(EDE, "PrepareDataForGetting", plan_peer + "<m:PartSize>1024</m:PartSize>")
    assert [(n, nil) for n, _, nil in children(prepared)] == [
        ("return", False),
        ("OperationID", False),
        ("ErrorMessage", False),
    ]
    assert prepared[0].text is None and prepared[2].text is None
    result = wire.ok(EDE, "PrepareDataActionResult", f"<m:OperationID>{prepared[1].text}</m:OperationID>")
    fields = result[0]
    assert [c.tag for c in fields] == [f"{{{EDE_TYPES}}}{n}" for n in ("ErrorMessage", "FileID", "PartCount", "Status")]
    assert [c.text for c in fields][2:] == ["1", "Completed"] and fields[0].text is None
    assert children(result)[1] == ("ErrorMessage", None, False)
    file_id = fields[1].text
    part = wire.ok(EDE, "GetDataPart", f"<m:FileID>{file_id}</m:FileID><m:PartNumber>1</m:PartNumber>")
    assert part[0].text and part[1].text is None and part[1].get(NIL) is None
    gone = wire.ok(EDE, "GetDataPart", f"<m:FileID>{file_id}</m:FileID><m:PartNumber>2</m:PartNumber>")
    assert children(gone) == [
        ("return", None, True),
        ("ErrorMessage", "Часть файла с указанным номером не найдена.", False),
    ]
    canceled = wire.ok(EDE, "PrepareDataActionResult", f"<m:OperationID>{uuid.uuid4()}</m:OperationID>")
    assert [c.text for c in canceled[0]][1:] == [None, "0", "Canceled"]
    assert wire.ok(EDE, "PutDataActionResult", f"<m:OperationID>{uuid.uuid4()}</m:OperationID>")[0].text == "Canceled"


def test_exact_fault_texts_on_the_wire(soap_server: SoapServer, soap12: bool) -> None:
    wire = Wire(soap_server, soap12)
    missing = str(uuid.uuid4())
    assert wire.fault(EXCHANGE, "PrepareGetFile", f"<m:FileId>{missing}</m:FileId><m:BlockSize>0</m:BlockSize>") == (
        f"Файл с идентификатором {missing} не обнаружен."
    )
    assert (
        wire.fault(
            EXCHANGE,
            "DownloadData",
            f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode><m:FileID>{missing}</m:FileID>"
            "<m:ContinuousOperation>false</m:ContinuousOperation><m:Operation/>"
            "<m:ContinuousOperationAllowed>false</m:ContinuousOperationAllowed>",
        )
        == f"Файл с идентификатором {missing} не обнаружен."
    )
    assert wire.fault(
        EXCHANGE, "GetFilePart", f"<m:TransferId>{missing}</m:TransferId><m:PartNumber>1</m:PartNumber>"
    ) == (f"Не найден фрагмент 1 сессии передачи с идентификатором {missing}")
    transfer = str(uuid.uuid4())
    wire.ok(EXCHANGE, "PutFilePart", f"<m:TransferId>{transfer}</m:TransferId><m:PartNumber>1</m:PartNumber>"
            "<m:PartData>UEs=</m:PartData>")  # fmt: skip
    assert wire.fault(
        EXCHANGE, "SaveFileFromParts", f"<m:TransferId>{transfer}</m:TransferId><m:PartQuantity>2</m:PartQuantity>"
    ) == (
        f"Не найден фрагмент 2 сессии передачи с идентификатором {transfer}. Необходимо убедиться, что в настройках "
        'программы заданы параметры "Каталог временных файлов для Linux" и "Каталог временных файлов для Windows".'
    )
    empty_zip = base64.b64encode(zip_bytes([])).decode()
    wire.ok(EXCHANGE, "PutFilePart", f"<m:TransferId>{transfer}</m:TransferId><m:PartNumber>1</m:PartNumber>"
            f"<m:PartData>{empty_zip}</m:PartData>")  # fmt: skip
    assert wire.fault(
        EXCHANGE, "SaveFileFromParts", f"<m:TransferId>{transfer}</m:TransferId><m:PartQuantity>1</m:PartQuantity>"
    ) == ("Файл архива не содержит данных.")
    assert (
        wire.fault(
            EXCHANGE,
            "RegisterOnlyCatalogData",
            f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>x</m:NodeCode>"
            "<m:ContinuousOperation>false</m:ContinuousOperation>",
        )
        == f"Не найден узел плана обмена; имя плана обмена {PLAN}; код узла x"
    )
    assert wire.fault(EXCHANGE, "TestConnection", "<m:ExchangePlanName>Чужой</m:ExchangePlanName><m:NodeCode/>") == (
        "Поле объекта не обнаружено (Чужой)"
    )
    for operation, body in (
        ("Upload", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode>"),
        ("PutFileIntoStorage", "<m:FileName>x</m:FileName>"),
        ("GetFileFromStorage", f"<m:FileId>{missing}</m:FileId>"),
    ):
        assert wire.fault(EXCHANGE, operation, body) == "Операция не поддерживается."

    assert wire.fault(EDE, "PutFilePart", "<m:FileID/><m:PartNumber>1</m:PartNumber><m:PartData>AA==</m:PartData>") == (
        "Не указан идентификатор загружаемого файла."
    )
    plan_peer = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>{NODE}</m:PeerCode>"
    assert wire.fault(EDE, "PutData", plan_peer + "<m:FileID>nothing</m:FileID>") == (
        "Не найден ни один фрагмент сессии передачи с идентификатором nothing."
    )
    wire.ok(EDE, "PutFilePart", f"<m:FileID>empty</m:FileID><m:PartNumber/><m:PartData>{empty_zip}</m:PartData>")
    assert wire.fault(EDE, "PutData", plan_peer + "<m:FileID>empty</m:FileID>") == "Файл архива не содержит данных."


def test_interface_version_and_ib_parameters_on_the_wire(soap_server: SoapServer, soap12: bool) -> None:
    wire = Wire(soap_server, soap12)
    for name in ("ОбменДанными", "DataExchange"):
        reply = wire.ok(VERSIONS, "GetVersions", f"<m:InterfaceName>{name}</m:InterfaceName>")
        values = reply[0]
        assert [(v.tag, v.get(XSI_TYPE), v.text) for v in values] == [
            (f"{{{V8_CORE}}}Value", "xs:string", "2.0.1.6"),
            (f"{{{V8_CORE}}}Value", "xs:string", "2.1.1.7"),
        ]
        assert all(_resolve(v, v.get(XSI_TYPE)) == f"{{{XS}}}string" for v in values)
    assert len(wire.ok(VERSIONS, "GetVersions", "<m:InterfaceName>EnterpriseDataExchange</m:InterfaceName>")[0]) == 0

    reply = wire.ok(
        EXCHANGE,
        "GetIBParameters",
        f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode><m:ResultMessage/>",
    )
    properties = [(p.get("name"), p[0].get(XSI_TYPE)) for p in reply[0]]
    assert all(p.tag == f"{{{V8_CORE}}}Property" for p in reply[0])
    assert properties == [
        ("ПланОбменаСуществует", "xs:boolean"),
        ("ПрефиксИнформационнойБазы", "xs:string"),
        ("ПрефиксИнформационнойБазыПоУмолчанию", "xs:string"),
        ("НаименованиеИнформационнойБазы", "xs:string"),
        ("НаименованиеИнформационнойБазыПоУмолчанию", "xs:string"),
        ("НастройкиПараметровУчетаЗаданы", "xs:boolean"),
        ("КодЭтогоУзла", "xs:string"),
        ("ВерсияКонфигурации", "xs:string"),
        ("УзелСуществует", "xs:boolean"),
        ("ВерсияФорматаНастроекОбменаДанными", "xs:string"),
        ("ИспользоватьПрефиксыДляНастройкиОбмена", "xs:boolean"),
        ("ФорматОбмена", "xs:string"),
        ("ИмяПланаОбмена", "xs:string"),
        ("ВерсииФорматаОбмена", "v8:Array"),
        ("ПоддерживаемыеОбъектыФормата", "v8:ValueTable"),
        ("НастройкаСинхронизацииДанныхЗавершена", "xs:boolean"),
        ("ПолученоСообщениеДляСопоставленияДанных", "xs:boolean"),
        ("ПоддерживаетсяСопоставлениеДанных", "xs:boolean"),
    ]
    assert children(reply)[1] == ("ResultMessage", None, False)  # "" as a captured 1C reply has it, never nil
    table = next(p for p in reply[0] if p.get("name") == "ПоддерживаемыеОбъектыФормата")[0]
    columns = [
        (c.findtext(f"{{{V8_CORE}}}Name"), c.findtext(f"{{{V8_CORE}}}ValueType/{{{V8_CORE}}}Type"))
        for c in table.iter(f"{{{V8_CORE}}}column")
        if len(c)
    ]
    assert columns == [
        ("Версия", "xs:string"),
        ("Объект", "xs:string"),
        ("Отправка", "xs:boolean"),
        ("Получение", "xs:boolean"),
    ]
    assert [c.text for c in table.find(f"{{{V8_CORE}}}index")] == ["Версия", "Объект"]
    rows = [[v.text for v in row] for row in table.iter(f"{{{V8_CORE}}}row")]
    assert rows == [["1.8", "Справочник.Номенклатура", "true", "true"]] and all(
        v.get(XSI_TYPE) == "xs:boolean" for row in table.iter(f"{{{V8_CORE}}}row") for v in list(row)[2:]
    )
    # an unknown plan: only the default keys, ПланОбменаСуществует=false (soap-services.md §7; audit decision LEFT-3)
    unknown = wire.ok(
        EXCHANGE, "GetIBParameters", "<m:ExchangePlanName>Чужой</m:ExchangePlanName><m:NodeCode/><m:ResultMessage/>"
    )
    assert [p.get("name") for p in unknown[0]] == [name for name, _ in properties[:8]]
    assert unknown[0][0][0].text == "false"


class ExplodingGateway(FakeGateway):
    def check_node(self, infobase: str, plan: str, node_code: str) -> None:
        raise RuntimeError("secret internals")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_an_unexpected_error_is_a_fault_with_a_traceback_only_in_debug(db_url: str, debug: bool) -> None:
    for server in start_server(db_url, Settings(debug=debug), ExplodingGateway()):
        wire = Wire(server, soap12=False)
        status, fault = wire.call(
            EXCHANGE, "TestConnection", f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>x</m:NodeCode>"
        )
        assert status == 500 and fault.tag == f"{{{SOAP11}}}Fault"
        text, detail = fault.findtext("faultstring") or "", fault.findtext("detail")
        if debug:
            assert text.startswith("Ошибка при выполнении операции веб-сервиса. RuntimeError('secret internals')")
            assert detail is not None and "Traceback" in detail
        else:
            assert text == "Ошибка при выполнении операции веб-сервиса."
            assert detail is None and b"secret" not in etree.tostring(fault)
        assert wire.ok(EXCHANGE, "Ping") is not None  # the server stays up


def test_spyne_writes_every_response_element_with_the_contracts_nillability() -> None:
    """The WSDL comes from contract.py; the responses come from spyne's declarations: they must agree on nil."""
    for contract in SERVICES:
        service = build_services(1 << 20)[contract.name.lower()]
        for descriptor in service.spyne_app.interface.service_method_map.values():
            method = descriptor[0]
            for param in contract.operation(method.name).response:
                attributes = method.out_message._type_info[param.name].Attributes
                assert (contract.name, method.name, param.name, bool(attributes.nillable), attributes.min_occurs) == (
                    contract.name,
                    method.name,
                    param.name,
                    param.nillable,
                    1,
                )


class RefusingGateway(FakeGateway):
    def create_exchange(self, infobase: str, plan: str, settings_xml: str) -> None:
        raise MessageRejected("узел не найден")


def test_create_exchange_failure_text(db_url: str) -> None:
    for server in start_server(db_url, gateway=RefusingGateway()):
        body = (
            f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:Parameters>&lt;x/&gt;</m:Parameters>"
            "<m:FilterSettings/><m:AdditionalSettings/>"
        )
        assert Wire(server, soap12=True).fault(EXCHANGE, "CreateExchange", body) == (
            "При создании настройки обмена во второй информационной базе возникли ошибки: узел не найден"
        )


def test_exported_archives_have_1cs_single_entry(soap_server: SoapServer) -> None:
    """Exchange_2_0_1_6: one ``Message…xml`` entry; EDE: one ``data.xml`` entry; both Deflate (soap-services.md §6)."""
    wire = Wire(soap_server, soap12=False)
    plan_node = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:NodeCode>{NODE}</m:NodeCode>"
    upload = wire.ok(
        EXCHANGE,
        "UploadData",
        plan_node + "<m:FileID/><m:ContinuousOperation>false</m:ContinuousOperation><m:Operation/>"
        "<m:ContinuousOperationAllowed>false</m:ContinuousOperationAllowed>",
    )
    prepared = wire.ok(EXCHANGE, "PrepareGetFile", f"<m:FileId>{upload[1].text}</m:FileId><m:BlockSize>0</m:BlockSize>")
    assert prepared[2].text == "1"
    part = wire.ok(
        EXCHANGE, "GetFilePart", f"<m:TransferId>{prepared[1].text}</m:TransferId><m:PartNumber>1</m:PartNumber>"
    )
    entries = _entries(base64.b64decode(part[1].text or ""))
    assert len(entries) == 1 and re.fullmatch(r"Message.*\.xml", entries[0].filename)
    assert entries[0].compress_type == zipfile.ZIP_DEFLATED

    plan_peer = f"<m:ExchangePlanName>{PLAN}</m:ExchangePlanName><m:PeerCode>{NODE}</m:PeerCode>"
    operation = wire.ok(EDE, "PrepareDataForGetting", plan_peer + "<m:PartSize>0</m:PartSize>")[1].text
    file_id = wire.ok(EDE, "PrepareDataActionResult", f"<m:OperationID>{operation}</m:OperationID>")[0][1].text
    data = wire.ok(EDE, "GetDataPart", f"<m:FileID>{file_id}</m:FileID><m:PartNumber>1</m:PartNumber>")[0].text
    entries = _entries(base64.b64decode(data or ""))
    assert [(e.filename, e.compress_type) for e in entries] == [("data.xml", zipfile.ZIP_DEFLATED)]


def _entries(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.infolist()
