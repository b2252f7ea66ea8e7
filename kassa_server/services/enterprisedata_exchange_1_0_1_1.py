"""``EnterpriseDataExchange_1_0_1_1``: the exchange service for external applications, 9 operations (§4).

Most 1C handlers reset ``ErrorMessage`` to ``""`` first, so on success it is an empty string, never nil (§4.1).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from spyne import ServiceBase

from kassa_server.exchange.errors import ExchangeError, MissingFileId, NodeNotFound, PartNotFound
from kassa_server.exchange.files import EDE_ENTRY_NAME, open_message, part_size_bytes
from kassa_server.exchange.operations import OperationResult, OperationStatus
from kassa_server.services import faults, mechanics
from kassa_server.services.context import ServiceCall
from kassa_server.services.contract import ENTERPRISE_DATA_EXCHANGE_1_0_1_1
from kassa_server.services.faults import soap_call
from kassa_server.services.values import prepare_data_result
from kassa_server.services.wire import bytes_of, operation

SERVICE = ENTERPRISE_DATA_EXCHANGE_1_0_1_1.name
_operation = operation(ENTERPRISE_DATA_EXCHANGE_1_0_1_1)


def _peer(call: ServiceCall, peer_code: str | None) -> str:
    call.node_code = (peer_code or "").strip()
    return call.node_code


def _failure(exc: ExchangeError) -> OperationResult:
    text = faults.EDE_NODE_NOT_FOUND if isinstance(exc, NodeNotFound) else faults.fault_text(exc)
    return OperationResult(OperationStatus.FAILED, text)


def _poll(call: ServiceCall, operation_id_text: str) -> OperationResult:
    operation_id = mechanics.parse_uuid(operation_id_text)
    result = call.deps.operations.poll(call.infobase.id, operation_id)
    if result is None:
        # SSL31 ОбменДаннымиСлужебный.ПолучитьСтатусВыполненияПолученияДанных: no such job → Canceled, message ""
        return OperationResult(OperationStatus.CANCELED, "")
    return result


class EnterpriseDataExchange_1_0_1_1(ServiceBase):
    __service_name__ = SERVICE

    @_operation
    def Ping(ctx: Any) -> Any:
        return soap_call(ctx, "Ping", lambda call: "")

    @_operation
    def TestConnection(ctx: Any, ExchangePlanName: str, PeerCode: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            peer = _peer(call, PeerCode)
            plan = mechanics.require_plan(call, ExchangePlanName)
            try:
                call.deps.gateway.check_node(call.infobase.name, plan, peer)
            except NodeNotFound:
                return False, call.soft_error(faults.EDE_NODE_NOT_FOUND)
            return True, ""

        return soap_call(ctx, "TestConnection", handle)

    @_operation
    def PrepareDataForGetting(ctx: Any, ExchangePlanName: str, PeerCode: str, PartSize: Decimal | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            peer = _peer(call, PeerCode)
            call.infobase.require_sync()  # [I] the data operations refuse as Exchange_2_0_1_6's do
            plan = mechanics.require_plan(call, ExchangePlanName)
            try:
                payload = mechanics.export_zip(call, plan, peer, EDE_ENTRY_NAME, mechanics.DEFAULT_COMPRESSION)
            except ExchangeError as exc:
                result = _failure(exc)
                call.soft_error(result.error_message)
            else:
                file_id = str(uuid.uuid4())
                with payload:
                    outgoing = call.deps.transfers.put_outgoing(
                        call.infobase.id, file_id, payload, part_size_bytes(PartSize), plan=plan, node_code=peer
                    )
                result = OperationResult(OperationStatus.COMPLETED, file_id=file_id, part_count=outgoing.part_count)
            operation_id = call.deps.operations.record(call.infobase.id, "export", result, node_code=peer)
            return "", str(operation_id), ""

        return soap_call(ctx, "PrepareDataForGetting", handle)

    @_operation
    def PrepareDataActionResult(ctx: Any, OperationID: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            result = _poll(call, OperationID)
            if result.error_message:
                call.soft_error(result.error_message)
            completed = result.status is OperationStatus.COMPLETED
            content = prepare_data_result(
                result.error_message,
                result.file_id if completed else "",
                result.part_count if completed else 0,
                result.status.value,
            )
            return content, result.error_message

        return soap_call(ctx, "PrepareDataActionResult", handle)

    @_operation
    def GetDataPart(ctx: Any, FileID: str, PartNumber: int | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            try:
                data = call.deps.transfers.outgoing_part(call.infobase.id, (FileID or "").strip(), PartNumber or 0)
            except PartNotFound:
                # a missing part is nil + ErrorMessage, not a fault (soap-services.md §4.1 [V])
                return None, call.soft_error(faults.EDE_PART_NOT_FOUND)
            return [data], ""

        return soap_call(ctx, "GetDataPart", handle)

    @_operation
    def ConfirmGettingFile(ctx: Any, FileID: str, ClearDataPool: bool | None) -> Any:
        def handle(call: ServiceCall) -> Any:
            # ClearDataPool is ignored, as in SSL (§4.1)
            released = call.deps.transfers.release_outgoing(call.infobase.id, (FileID or "").strip())
            if released is not None:
                call.node_code = released.node_code
                mechanics.confirm_delivery(call, released.plan, released.node_code)
            return "", ""

        return soap_call(ctx, "ConfirmGettingFile", handle)

    @_operation
    def PutFilePart(ctx: Any, FileID: str, PartNumber: int | None, PartData: Any) -> Any:
        def handle(call: ServiceCall) -> Any:
            key = (FileID or "").strip()
            if not key:
                raise MissingFileId()
            part_no = PartNumber or 1  # nil or 0 is part 1 [V]; below 0 a client fault [I]
            call.deps.transfers.put_incoming_part(call.infobase.id, key, part_no, bytes_of(PartData))
            return "", ""

        return soap_call(ctx, "PutFilePart", handle)

    @_operation
    def PutData(ctx: Any, ExchangePlanName: str, PeerCode: str, FileID: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            peer = _peer(call, PeerCode)
            call.infobase.require_sync()  # [I]
            plan = mechanics.require_plan(call, ExchangePlanName)
            key = (FileID or "").strip()
            payload = call.deps.transfers.join_incoming(call.infobase.id, key, None, delete_parts=True)
            # join and unzip fault; the import itself is a (finished) long operation [V]
            with payload:
                message = open_message(payload, call.deps.archive_limits)
            try:
                with message:
                    mechanics.import_message(call, plan, peer, message)
            except ExchangeError as exc:
                result = _failure(exc)
                call.soft_error(result.error_message)
            else:
                result = OperationResult(OperationStatus.COMPLETED)
            operation_id = call.deps.operations.record(call.infobase.id, "import", result, node_code=peer)
            return "", str(operation_id), ""

        return soap_call(ctx, "PutData", handle)

    @_operation
    def PutDataActionResult(ctx: Any, OperationID: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            result = _poll(call, OperationID)
            if result.error_message:
                call.soft_error(result.error_message)
            return result.status.value, result.error_message

        return soap_call(ctx, "PutDataActionResult", handle)
