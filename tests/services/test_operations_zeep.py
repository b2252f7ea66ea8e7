"""zeep reads our WSDL over HTTP and calls every operation of the three services, over SOAP 1.1 and 1.2."""

from __future__ import annotations

import uuid

import pytest
import zeep.exceptions

from tests.soap_support import NODE, PLAN, SoapServer, bind, unzip_first, zeep_client, zip_bytes

EXCHANGE = "Exchange_2_0_1_6"
EDE = "EnterpriseDataExchange_1_0_1_1"


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def soap12(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_exchange_2_0_1_6_every_operation(soap_server: SoapServer, soap12: bool) -> None:
    client = zeep_client(soap_server, EXCHANGE)
    svc = bind(client, EXCHANGE, soap12)
    gateway = soap_server.gateway

    assert svc.Ping() in (None, "")
    ok = svc.TestConnection(PLAN, NODE)
    assert ok["return"] is True and ok["Result"] is None
    missing = svc.TestConnection(PLAN, "nobody")
    assert missing["return"] is False
    assert missing["Result"] == (
        'В "Магазин у дома" не найдена настройка синхронизации данных '
        '"Синхронизация данных через универсальный формат" с идентификатором "nobody".'
    )
    with pytest.raises(zeep.exceptions.Fault, match=r"^Поле объекта не обнаружено \(Чужой\)$"):
        svc.TestConnection("Чужой", NODE)

    params = svc.GetIBParameters(PLAN, NODE, None)
    names = [p["name"] for p in params["return"]["Property"]]
    assert names[:8] == [
        "ПланОбменаСуществует",
        "ПрефиксИнформационнойБазы",
        "ПрефиксИнформационнойБазыПоУмолчанию",
        "НаименованиеИнформационнойБазы",
        "НаименованиеИнформационнойБазыПоУмолчанию",
        "НастройкиПараметровУчетаЗаданы",
        "КодЭтогоУзла",
        "ВерсияКонфигурации",
    ]
    assert len(names) == 18
    values = {p["name"]: p["Value"] for p in params["return"]["Property"]}
    assert values["КодЭтогоУзла"] == "our-node-code"
    assert values["ВерсииФорматаОбмена"]["Value"] == ["1.7", "1.8", "1.10"]
    unknown = svc.GetIBParameters("Чужой", NODE, None)
    assert unknown["return"]["Property"][0]["name"] == "ПланОбменаСуществует"
    assert unknown["return"]["Property"][0]["Value"] is False

    data = svc.GetIBData("Справочник.Организации")  # SSL31 ОбменДаннымиСервер.ДанныеКорреспондента: two keys
    assert [p["name"] for p in data] == ["СвойстваОбъектаМетаданных", "ТаблицаБазыКорреспондента"]
    assert data[1]["Value"] is None  # the Java client reads get(1)
    assert svc.GetCommonNodsData(PLAN) is None or svc.GetCommonNodsData(PLAN)["Property"] == []
    assert svc.CreateExchange(PLAN, "<ПараметрыНастройки/>", {"Property": []}, {"Property": []}) in (None, "")
    assert gateway.created == ["<ПараметрыНастройки/>"]
    assert svc.UpdateExchange(PLAN, NODE, {"Property": []}) in (None, "")
    reg = svc.RegisterOnlyCatalogData(PLAN, NODE, False)
    assert reg["ContinuousOperation"] is False and reg["Operation"] is None
    svc.RegisterAllDataExceptCatalogs(PLAN, NODE, False)
    assert gateway.registered == [(NODE, True), (NODE, False)]
    with pytest.raises(zeep.exceptions.Fault, match=r"Не найден узел плана обмена; имя плана обмена .*; код узла x"):
        svc.RegisterOnlyCatalogData(PLAN, "x", False)
    assert svc.GetFunctionalOption("ИспользоватьСинхронизациюДанных") is True
    assert svc.GetFunctionalOption("Другая") is False
    assert svc.FileExists("/etc/passwd") is False
    with pytest.raises(zeep.exceptions.Fault, match=r"Операция не поддерживается\."):
        svc.PutFileIntoStorage("x")
    with pytest.raises(zeep.exceptions.Fault, match=r"Операция не поддерживается\."):
        svc.GetFileFromStorage(str(uuid.uuid4()))
    with pytest.raises(zeep.exceptions.Fault, match=r"Операция не поддерживается\."):
        svc.Upload(PLAN, NODE)
    with pytest.raises(zeep.exceptions.Fault, match=r"Операция не поддерживается\."):
        svc.Download(PLAN, NODE, b"x")

    # download: UploadData → PrepareGetFile → GetFilePart → ReleaseFile
    up = svc.UploadData(PLAN, NODE, "", False, "", True)
    assert up["ContinuousOperation"] is False
    prepared = svc.PrepareGetFile(up["FileID"], 0)
    assert prepared["PartQuantity"] == 1
    part = svc.GetFilePart(prepared["TransferId"], 1)["PartData"]
    name, message = unzip_first(part)
    assert name.startswith("Message") and name.endswith(".xml") and message == gateway.outbound
    with pytest.raises(zeep.exceptions.Fault, match=r"^Не найден фрагмент 2 сессии передачи с идентификатором"):
        svc.GetFilePart(prepared["TransferId"], 2)
    assert svc.ReleaseFile(prepared["TransferId"]) in (None, "")
    assert svc.ReleaseFile(prepared["TransferId"]) in (None, "")  # unknown is not an error
    with pytest.raises(zeep.exceptions.Fault, match=f"^Файл с идентификатором {up['FileID']} не обнаружен.$"):
        svc.PrepareGetFile(up["FileID"], 0)  # taking a file out of storage removes it

    # upload: PutFilePart → SaveFileFromParts → DownloadData
    transfer = str(uuid.uuid4())
    payload = zip_bytes([("Message_1.xml", "<Message>привет</Message>".encode())])
    assert svc.PutFilePart(transfer, None, payload) in (None, "")
    saved = svc.SaveFileFromParts(transfer, 1)
    down = svc.DownloadData(PLAN, NODE, saved["FileId"], False, "", False)
    assert down["ContinuousOperation"] is False
    assert gateway.imported == [(PLAN, NODE, "<Message>привет</Message>".encode())]
    with pytest.raises(zeep.exceptions.Fault, match="не обнаружен"):
        svc.DownloadData(PLAN, NODE, saved["FileId"], False, "", False)

    status = svc.GetContinuousOperationStatus(str(uuid.uuid4()))
    assert status["return"] == "Canceled" and status["ResultMessage"].startswith("Не найдено длительной операции")
    with pytest.raises(zeep.exceptions.Fault):
        svc.GetContinuousOperationStatus("not-a-uuid")


def test_enterprisedata_exchange_every_operation(soap_server: SoapServer, soap12: bool) -> None:
    svc = bind(zeep_client(soap_server, EDE), EDE, soap12)
    gateway = soap_server.gateway
    assert svc.Ping() in (None, "")
    ok = svc.TestConnection(PLAN, NODE)
    assert ok["return"] is True and ok["ErrorMessage"] in ("", None)
    bad = svc.TestConnection(PLAN, "nobody")
    assert bad["return"] is False
    assert bad["ErrorMessage"] == "Заданный узел плана обмена не найден. Обратитесь к администратору приложения."

    prepared = svc.PrepareDataForGetting(PLAN, NODE, 0)
    result = svc.PrepareDataActionResult(prepared["OperationID"])
    assert result["return"]["Status"] == "Completed" and result["return"]["PartCount"] == 1
    file_id = result["return"]["FileID"]
    name, message = unzip_first(svc.GetDataPart(file_id, 1)["return"])
    assert (name, message) == ("data.xml", gateway.outbound)
    missing = svc.GetDataPart(file_id, 2)
    assert missing["return"] is None and missing["ErrorMessage"] == "Часть файла с указанным номером не найдена."
    assert svc.ConfirmGettingFile(file_id, True)["return"] in (None, "")
    assert gateway.confirmed == [NODE]

    payload = zip_bytes([("data.xml", b"<Message/>")])
    assert svc.PutFilePart("my-file", 0, payload)["ErrorMessage"] in ("", None)
    put = svc.PutData(PLAN, NODE, "my-file")
    assert svc.PutDataActionResult(put["OperationID"])["return"] == "Completed"
    assert gateway.imported[-1] == (PLAN, NODE, b"<Message/>")
    with pytest.raises(zeep.exceptions.Fault, match="Не указан идентификатор загружаемого файла"):
        svc.PutFilePart("", 1, payload)
    with pytest.raises(zeep.exceptions.Fault, match="Не найден ни один фрагмент сессии передачи с идентификатором x"):
        svc.PutData(PLAN, NODE, "x")

    unknown = svc.PutDataActionResult(str(uuid.uuid4()))
    # SSL31 ОбменДаннымиСлужебный.ПолучитьСтатусВыполненияПолученияДанных: Canceled and an empty ErrorMessage
    assert unknown["return"] == "Canceled" and not unknown["ErrorMessage"]  # zeep reads "" as None
    prepared = svc.PrepareDataActionResult(str(uuid.uuid4()))
    assert prepared["return"]["Status"] == "Canceled" and not prepared["ErrorMessage"]
    with pytest.raises(zeep.exceptions.Fault):
        svc.PrepareDataActionResult("not-a-uuid")

    failing = svc.PrepareDataForGetting(PLAN, "nobody", 0)
    failed = svc.PrepareDataActionResult(failing["OperationID"])
    assert failed["return"]["Status"] == "Failed" and failed["return"]["FileID"] in ("", None)
    assert failed["ErrorMessage"] == "Заданный узел плана обмена не найден. Обратитесь к администратору приложения."


def test_interface_version(soap_server: SoapServer, soap12: bool) -> None:
    svc = bind(zeep_client(soap_server, "InterfaceVersion"), "InterfaceVersion", soap12)
    assert svc.GetVersions("ОбменДанными") == ["2.0.1.6", "2.1.1.7"]
    assert svc.GetVersions("DataExchange") == ["2.0.1.6", "2.1.1.7"]
    assert svc.GetVersions("EnterpriseDataExchange") in ([], None)
