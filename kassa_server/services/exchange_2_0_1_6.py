"""``Exchange_2_0_1_6``: the SSL data-exchange web service, 23 operations (soap-services.md §3).

Each method only unpacks arguments, calls the exchange layer through ``mechanics``/the gateway, and packs the result;
``faults.soap_call`` translates errors. Parameter names are 1C's wire names; each method's spyne signature (types,
nillability, out-variable names) comes from ``contract.py`` through ``@_operation``, which checks the names.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from lxml import etree
from spyne import ServiceBase

from kassa_server.enterprisedata.versions import FORMAT_BASE_URI
from kassa_server.exchange.errors import (
    ExchangeError,
    NodeNotFound,
    OperationNotSupported,
    PartNotFound,
    TransferNotFound,
)
from kassa_server.exchange.files import exchange_entry_name, part_size_bytes
from kassa_server.exchange.operations import OperationResult, OperationStatus
from kassa_server.services import faults, mechanics
from kassa_server.services.context import ServiceCall
from kassa_server.services.contract import EXCHANGE_2_0_1_6
from kassa_server.services.faults import KassaFault, soap_call
from kassa_server.services.values import ArrayValue, StructureValue, TableValue, structure
from kassa_server.services.wire import bytes_of, operation

SERVICE = EXCHANGE_2_0_1_6.name
_operation = operation(EXCHANGE_2_0_1_6)
FUNCTIONAL_OPTION_ON = "ИспользоватьСинхронизациюДанных"
"""``GetFunctionalOption`` answers true for this one only, and only while «Синхронизация данных» is on
(soap-services.md §3.1 [I]).

The common guard (``ПроверитьИспользованиеОбменаДанными``: the fault «Синхронизация данных запрещена
администратором.» while the option is off) stands where SSL 3.1's ``Exchange_2_0_1_6`` module calls it [V SSL31en
``CheckDataExchangeUsage``]: ``Upload``, ``Download``, ``UploadData``, ``DownloadData`` and ``CreateExchange``. The file
transfer operations, ``TestConnection``, ``GetIBParameters``, ``GetFunctionalOption`` and ``Ping`` do not check it."""
PLAN_SYNONYMS = {"СинхронизацияДанныхЧерезУниверсальныйФормат": "Синхронизация данных через универсальный формат"}
"""Plan presentations for the TestConnection text; other plans show their name."""
EXCHANGE_SETTINGS_FORMAT_VERSION = "1.2"


def _node(call: ServiceCall, node_code: str | None) -> str:
    call.node_code = (node_code or "").strip()
    return call.node_code


def _long_path(call: ServiceCall, allowed: bool | None) -> bool:
    """Report a long operation only when the client allows one and the server is told to simulate polling."""
    return bool(allowed) and call.deps.settings.protocol.operation_active_polls > 0


class Exchange_2_0_1_6(ServiceBase):
    __service_name__ = SERVICE

    @_operation
    def Upload(ctx: Any, ExchangePlanName: str, NodeCode: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            _node(call, NodeCode)
            call.infobase.require_sync()
            raise OperationNotSupported("Upload")

        return soap_call(ctx, "Upload", handle)

    @_operation
    def Download(ctx: Any, ExchangePlanName: str, NodeCode: str, Data: Any) -> Any:
        def handle(call: ServiceCall) -> Any:
            _node(call, NodeCode)
            call.infobase.require_sync()
            raise OperationNotSupported("Download")

        return soap_call(ctx, "Download", handle)

    @_operation
    def UploadData(
        ctx: Any,
        ExchangePlanName: str,
        NodeCode: str,
        FileID: str | None,
        ContinuousOperation: bool | None,
        Operation: str | None,
        ContinuousOperationAllowed: bool | None,
    ) -> Any:
        def handle(call: ServiceCall) -> Any:
            node = _node(call, NodeCode)
            call.infobase.require_sync()
            plan = mechanics.require_plan(call, ExchangePlanName)
            if not _long_path(call, ContinuousOperationAllowed):
                with mechanics.export_zip(call, plan, node, exchange_entry_name(), mechanics.MAX_COMPRESSION) as zipped:
                    file_id = call.deps.transfers.store_file(call.infobase.id, zipped, plan=plan, node_code=node)
                # FileID is new whatever came in; Operation is echoed (soap-services.md §3.1 [I])
                return "", str(file_id), False, Operation
            try:
                payload = mechanics.export_zip(call, plan, node, exchange_entry_name(), mechanics.MAX_COMPRESSION)
            except ExchangeError as exc:
                result = OperationResult(OperationStatus.FAILED, faults.fault_text(exc))
                file_id_text = ""
            else:
                with payload:
                    file_id = call.deps.transfers.store_file(call.infobase.id, payload, plan=plan, node_code=node)
                file_id_text = str(file_id)
                result = OperationResult(OperationStatus.COMPLETED, file_id=file_id_text)
            operation_id = call.deps.operations.record(call.infobase.id, "export", result, node_code=node)
            return "", file_id_text, True, str(operation_id)

        return soap_call(ctx, "UploadData", handle)

    @_operation
    def DownloadData(
        ctx: Any,
        ExchangePlanName: str,
        NodeCode: str,
        FileID: str,
        ContinuousOperation: bool | None,
        Operation: str | None,
        ContinuousOperationAllowed: bool | None,
    ) -> Any:
        def handle(call: ServiceCall) -> Any:
            node = _node(call, NodeCode)
            call.infobase.require_sync()
            plan = mechanics.require_plan(call, ExchangePlanName)
            file_id = mechanics.parse_uuid(FileID)
            payload = call.deps.transfers.take_upload(call.infobase.id, file_id)
            if not _long_path(call, ContinuousOperationAllowed):
                mechanics.import_zip(call, plan, node, payload)
                return "", False, Operation
            try:
                mechanics.import_zip(call, plan, node, payload)
            except ExchangeError as exc:
                result = OperationResult(OperationStatus.FAILED, faults.fault_text(exc))
            else:
                result = OperationResult(OperationStatus.COMPLETED)
            operation_id = call.deps.operations.record(call.infobase.id, "import", result, node_code=node)
            return "", True, str(operation_id)

        return soap_call(ctx, "DownloadData", handle)

    @_operation
    def GetIBParameters(ctx: Any, ExchangePlanName: str, NodeCode: str | None, ResultMessage: str | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            node = _node(call, NodeCode)
            plan = ExchangePlanName or ""
            params = call.deps.gateway.infobase_parameters(call.infobase.name, plan, node or None)
            plan_exists = params.plan_exists and call.infobase.allows_plan(plan)
            node_exists = plan_exists and params.node_exists
            versions = sorted(params.format_versions, key=_version_key)
            # typed and indexed as SSL31 ОбменДаннымиXDTOСервер.ИнициализироватьТаблицуПоддерживаемыхОбъектовФормата
            table = TableValue(
                ("Версия", "Объект", "Отправка", "Получение"),
                [(o.version, o.object_name, bool(o.sending), bool(o.receiving)) for o in params.supported_objects],
                types=("xs:string", "xs:string", "xs:boolean", "xs:boolean"),
                index=("Версия", "Объект"),
            )
            # The keys and their order are [V] SSL31 ОбменДаннымиСервер.ПараметрыИнформационнойБазы (§7).
            properties = [
                ("ПланОбменаСуществует", plan_exists),
                ("ПрефиксИнформационнойБазы", params.prefix),
                ("ПрефиксИнформационнойБазыПоУмолчанию", params.prefix),
                ("НаименованиеИнформационнойБазы", params.name),
                ("НаименованиеИнформационнойБазыПоУмолчанию", params.name),
                ("НастройкиПараметровУчетаЗаданы", True),
                ("КодЭтогоУзла", params.this_node_code),
                ("ВерсияКонфигурации", params.configuration_version),
            ]
            if plan_exists:
                properties += [
                    ("УзелСуществует", node_exists),
                    ("ВерсияФорматаНастроекОбменаДанными", EXCHANGE_SETTINGS_FORMAT_VERSION),
                    ("ИспользоватьПрефиксыДляНастройкиОбмена", False),
                    ("ФорматОбмена", FORMAT_BASE_URI),
                    ("ИмяПланаОбмена", plan),
                    ("ВерсииФорматаОбмена", ArrayValue(versions)),
                    ("ПоддерживаемыеОбъектыФормата", table),
                    ("НастройкаСинхронизацииДанныхЗавершена", node_exists),
                    ("ПолученоСообщениеДляСопоставленияДанных", False),
                    ("ПоддерживаетсяСопоставлениеДанных", False),
                ]
            return structure(properties), ""  # an empty string, as a captured 1C reply has it

        return soap_call(ctx, "GetIBParameters", handle)

    @_operation
    def GetIBData(ctx: Any, TableName: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            # SSL31 ОбменДаннымиСервер.ДанныеКорреспондента: Structure("СвойстваОбъектаМетаданных,
            # ТаблицаБазыКорреспондента"); the first is Structure("Синоним, Иерархический") of the metadata object, the
            # second its elements for a catalog. 1С:Касса shares no catalog for mapping: no table (Неопределено) [I].
            properties = StructureValue([("Синоним", ""), ("Иерархический", False)])
            return structure([("СвойстваОбъектаМетаданных", properties), ("ТаблицаБазыКорреспондента", None)])

        return soap_call(ctx, "GetIBData", handle)

    @_operation
    def GetCommonNodsData(ctx: Any, ExchangePlanName: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            mechanics.require_plan(call, ExchangePlanName)
            return structure([])

        return soap_call(ctx, "GetCommonNodsData", handle)

    @_operation
    def CreateExchange(
        ctx: Any, ExchangePlanName: str, Parameters: str, FilterSettings: Any, AdditionalSettings: Any
    ) -> Any:
        def handle(call: ServiceCall) -> Any:
            call.infobase.require_sync()
            plan = mechanics.require_plan(call, ExchangePlanName)
            try:
                call.deps.gateway.create_exchange(call.infobase.name, plan, Parameters or "")
            except ExchangeError as exc:
                raise KassaFault(faults.create_exchange_failed(faults.fault_text(exc))) from exc
            return ""

        return soap_call(ctx, "CreateExchange", handle)

    @_operation
    def UpdateExchange(ctx: Any, ExchangePlanName: str, NodeCode: str, AdditionalSettings: Any) -> Any:
        def handle(call: ServiceCall) -> Any:
            node = _node(call, NodeCode)
            plan = mechanics.require_plan(call, ExchangePlanName)
            settings_xml = etree.tostring(AdditionalSettings) if AdditionalSettings is not None else b""
            call.deps.gateway.update_exchange(call.infobase.name, plan, node, settings_xml)
            return ""

        return soap_call(ctx, "UpdateExchange", handle)

    @_operation
    def RegisterOnlyCatalogData(ctx: Any, ExchangePlanName: str, NodeCode: str, ContinuousOperation: bool) -> Any:
        return soap_call(ctx, "RegisterOnlyCatalogData", _register(ExchangePlanName, NodeCode, catalogs_only=True))

    @_operation
    def RegisterAllDataExceptCatalogs(ctx: Any, ExchangePlanName: str, NodeCode: str, ContinuousOperation: bool) -> Any:
        return soap_call(
            ctx, "RegisterAllDataExceptCatalogs", _register(ExchangePlanName, NodeCode, catalogs_only=False)
        )

    @_operation
    def GetContinuousOperationStatus(ctx: Any, Operation: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            operation_id = mechanics.parse_uuid(Operation)
            result = call.deps.operations.poll(call.infobase.id, operation_id)
            if result is None:
                return OperationStatus.CANCELED.value, call.soft_error(faults.operation_not_found(Operation))
            if result.status is OperationStatus.FAILED:
                return result.status.value, call.soft_error(result.error_message)
            return result.status.value, None

        return soap_call(ctx, "GetContinuousOperationStatus", handle)

    @_operation
    def GetFunctionalOption(ctx: Any, Name: str) -> Any:
        # the option is «Синхронизация данных» of Администрирование: true while it is on
        return soap_call(
            ctx, "GetFunctionalOption", lambda call: (Name or "") == FUNCTIONAL_OPTION_ON and call.infobase.sync_enabled
        )

    @_operation
    def PrepareGetFile(ctx: Any, FileId: str, BlockSize: Decimal | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            file_id = mechanics.parse_uuid(FileId)
            transfer_id = uuid.uuid4()
            # the stored ZIP becomes the transfer as is (soap-services.md §3.1): its row changes, no byte is copied
            outgoing = call.deps.transfers.take_file(
                call.infobase.id, file_id, str(transfer_id), part_size_bytes(BlockSize)
            )
            call.node_code = outgoing.node_code
            return "", str(transfer_id), outgoing.part_count

        return soap_call(ctx, "PrepareGetFile", handle)

    @_operation
    def GetFilePart(ctx: Any, TransferId: str, PartNumber: int | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            transfer_id = mechanics.parse_uuid(TransferId)
            data = call.deps.transfers.outgoing_part(call.infobase.id, str(transfer_id), PartNumber or 0)
            return "", [data]

        return soap_call(ctx, "GetFilePart", handle)

    @_operation
    def ReleaseFile(ctx: Any, TransferId: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            transfer_id = mechanics.parse_uuid(TransferId)
            released = call.deps.transfers.release_outgoing(call.infobase.id, str(transfer_id))
            if released is not None:
                call.node_code = released.node_code
                mechanics.confirm_delivery(call, released.plan, released.node_code)
            return ""

        return soap_call(ctx, "ReleaseFile", handle)

    @_operation
    def PutFilePart(ctx: Any, TransferId: str, PartNumber: int | None, PartData: Any) -> Any:
        def handle(call: ServiceCall) -> Any:
            transfer_id = mechanics.parse_uuid(TransferId)
            # Parts may come in any order; nil or 0 is part 1, below 0 a client fault (soap-services.md §3.1 [I])
            part_no = PartNumber or 1
            call.deps.transfers.put_incoming_part(call.infobase.id, str(transfer_id), part_no, bytes_of(PartData))
            return ""

        return soap_call(ctx, "PutFilePart", handle)

    @_operation
    def SaveFileFromParts(ctx: Any, TransferId: str, PartQuantity: int | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            transfer_id = mechanics.parse_uuid(TransferId)
            key = str(transfer_id)
            quantity = PartQuantity or 0
            try:
                payload = call.deps.transfers.join_incoming(call.infobase.id, key, quantity, delete_parts=False)
            except PartNotFound as exc:
                raise KassaFault(faults.saved_part_not_found(exc.part_no, TransferId)) from exc
            except TransferNotFound as exc:
                raise KassaFault(faults.saved_part_not_found(1, TransferId)) from exc
            with payload:
                mechanics.check_zip(call, payload)
            # the ZIP is stored as it came; DownloadData inflates it into a temporary file, never into a blob
            file_id = call.deps.transfers.save_incoming(call.infobase.id, key, quantity)
            return "", str(file_id)

        return soap_call(ctx, "SaveFileFromParts", handle)

    @_operation
    def PutFileIntoStorage(ctx: Any, FileName: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            raise OperationNotSupported("PutFileIntoStorage")

        return soap_call(ctx, "PutFileIntoStorage", handle)

    @_operation
    def GetFileFromStorage(ctx: Any, FileId: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            raise OperationNotSupported("GetFileFromStorage")

        return soap_call(ctx, "GetFileFromStorage", handle)

    @_operation
    def FileExists(ctx: Any, FileName: str) -> Any:
        return soap_call(ctx, "FileExists", lambda call: False)

    @_operation
    def Ping(ctx: Any) -> Any:
        return soap_call(ctx, "Ping", lambda call: "")

    @_operation
    def TestConnection(ctx: Any, ExchangePlanName: str, NodeCode: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            node = _node(call, NodeCode)
            plan = mechanics.require_plan(call, ExchangePlanName)
            try:
                call.deps.gateway.check_node(call.infobase.name, plan, node)
            except NodeNotFound:
                app_name = call.infobase.title or "1С:Касса"
                text = faults.exchange_node_not_found(app_name, PLAN_SYNONYMS.get(plan, plan), node)
                return False, call.soft_error(text)
            return True, None

        return soap_call(ctx, "TestConnection", handle)


def _register(plan_name: str, node_code: str, *, catalogs_only: bool) -> Any:
    def handle(call: ServiceCall) -> Any:
        node = _node(call, node_code)
        plan = mechanics.require_plan(call, plan_name)
        call.deps.gateway.check_node(call.infobase.name, plan, node)
        call.deps.gateway.register_initial_data(call.infobase.name, plan, node, catalogs_only=catalogs_only)
        return "", False, None

    return handle


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))
