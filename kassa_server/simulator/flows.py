"""The two client call sequences: EnterpriseDataExchange_1_0_1_1 (soap-services.md §10.2) and Exchange_2_0_1_6 as
the SSL client drives it (§10.1). Each flow receives one ZIP payload and sends one."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Protocol

from .connection import ConnectionParams
from .payload import join_parts, split
from .soap import CallRecorder, SimulatorError, SoapService, field

__all__ = ["EdeFlow", "Exchange2016Flow", "ExchangeFlow", "make_flow"]

EDE = "EnterpriseDataExchange_1_0_1_1"
EXCHANGE = "Exchange_2_0_1_6"
INTERFACE_VERSION = "InterfaceVersion"

ACTIVE, COMPLETED = "Active", "Completed"  # soap-services.md §8 [V], case-sensitive


class ExchangeFlow(Protocol):
    service: str

    def check(self) -> None: ...
    def receive(self) -> bytes: ...
    def send(self, payload: bytes) -> None: ...
    def close(self) -> None: ...


class _Flow:
    service = ""

    def __init__(
        self,
        params: ConnectionParams,
        recorder: CallRecorder,
        *,
        part_kb: int = 1024,
        poll_interval: float = 3.0,
        max_polls: int = 1000,
        timeout: float = 600.0,
        stop: threading.Event | None = None,
        engine: str = "zeep",
    ) -> None:
        self.params = params
        self.engine = engine
        self.recorder = recorder
        self.part_kb = part_kb
        self.poll_interval = poll_interval
        self.max_polls = max_polls
        self.stop = stop or threading.Event()
        self.timeout = timeout
        self.soap = self._service(self.service)

    def _service(self, name: str) -> SoapService:
        """zeep (the reference client), or the template engine of big fleets (engine.py)."""
        if self.engine == "template":
            from .engine import TemplateService

            return TemplateService(self.params, name, self.recorder, timeout=self.timeout)
        if self.engine != "zeep":
            raise ValueError(f"unknown engine {self.engine!r}: choose zeep or template")
        return SoapService(self.params, name, self.recorder, timeout=self.timeout)

    @property
    def plan(self) -> str:
        return self.params.exchange_plan

    @property
    def node(self) -> str:
        return self.params.application_id

    def _wait(self, operation: str, attempt: int) -> None:
        if attempt >= self.max_polls:
            raise SimulatorError("operation_failed", operation, f"still Active after {attempt} polls")
        if self.stop.wait(self.poll_interval):
            raise SimulatorError("stopped", operation, "stopped while waiting for a long operation")

    def close(self) -> None:
        self.soap.close()


class EdeFlow(_Flow):
    """Ping → TestConnection; PrepareDataForGetting → poll → GetDataPart 1…N → ConfirmGettingFile;
    PutFilePart 1…N → PutData → poll PutDataActionResult."""

    service = EDE

    def check(self) -> None:
        self.soap.call("Ping")
        result = self.soap.call("TestConnection", ExchangePlanName=self.plan, PeerCode=self.node)
        if field(result, "return") is not True:
            raise SimulatorError(
                "test_connection", f"{self.service}.TestConnection", str(field(result, "ErrorMessage") or "")
            )

    def receive(self) -> bytes:
        result = self.soap.call(
            "PrepareDataForGetting", ExchangePlanName=self.plan, PeerCode=self.node, PartSize=Decimal(self.part_kb)
        )
        if field(result, "ErrorMessage"):
            raise SimulatorError(
                "operation_failed", f"{self.service}.PrepareDataForGetting", field(result, "ErrorMessage")
            )
        operation_id = field(result, "OperationID")
        attempt = 0
        while True:
            outcome = self.soap.call("PrepareDataActionResult", OperationID=operation_id)
            status = field(outcome, "return")
            state = getattr(status, "Status", None)
            if state != ACTIVE:
                break
            attempt += 1
            self._wait(f"{self.service}.PrepareDataActionResult", attempt)
        if state != COMPLETED:
            message = getattr(status, "ErrorMessage", None) or field(outcome, "ErrorMessage") or ""
            raise SimulatorError("operation_failed", f"{self.service}.PrepareDataActionResult", f"{state}: {message}")
        file_id = status.FileID
        parts = []
        for number in range(1, int(status.PartCount or 0) + 1):
            part = self.soap.call("GetDataPart", FileID=file_id, PartNumber=number)
            data = field(part, "return")
            if data is None:
                raise SimulatorError(
                    "operation_failed", f"{self.service}.GetDataPart", str(field(part, "ErrorMessage") or "")
                )
            parts.append(data)
        self.soap.call("ConfirmGettingFile", FileID=file_id, ClearDataPool=True)
        return join_parts(parts)

    def send(self, payload: bytes) -> None:
        file_id = str(uuid.uuid4())
        for number, part in enumerate(split(payload, self.part_kb), start=1):
            result = self.soap.call("PutFilePart", FileID=file_id, PartNumber=number, PartData=part)
            if field(result, "ErrorMessage"):
                raise SimulatorError("operation_failed", f"{self.service}.PutFilePart", field(result, "ErrorMessage"))
        result = self.soap.call("PutData", ExchangePlanName=self.plan, PeerCode=self.node, FileID=file_id)
        if field(result, "ErrorMessage"):
            raise SimulatorError("operation_failed", f"{self.service}.PutData", field(result, "ErrorMessage"))
        operation_id = field(result, "OperationID")
        attempt = 0
        while True:
            outcome = self.soap.call("PutDataActionResult", OperationID=operation_id)
            state = field(outcome, "return")
            if state != ACTIVE:
                break
            attempt += 1
            self._wait(f"{self.service}.PutDataActionResult", attempt)
        if state != COMPLETED:
            raise SimulatorError(
                "operation_failed", "PutDataActionResult", f"{state}: {field(outcome, 'ErrorMessage') or ''}"
            )


class Exchange2016Flow(_Flow):
    """GetVersions → Ping once; UploadData → poll → PrepareGetFile → GetFilePart 1…N → ReleaseFile;
    TestConnection → PutFilePart 1…N → SaveFileFromParts → DownloadData (→ poll)."""

    service = EXCHANGE

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.interface = self._service(INTERFACE_VERSION)
        self._checked = False

    def check(self) -> None:
        if self._checked:
            return
        result = self.interface.call("GetVersions", InterfaceName="ОбменДанными")
        versions = _array_values(field(result, "return"))
        if "2.0.1.6" not in versions and "2.1.1.7" not in versions:
            raise SimulatorError(
                "protocol", f"{INTERFACE_VERSION}.GetVersions", f"interface 2.0.1.6 not offered: {versions}"
            )
        self.soap.call("Ping")
        self._checked = True

    def _poll(self, operation_id: str, operation: str) -> None:
        attempt = 0
        while True:
            outcome = self.soap.call("GetContinuousOperationStatus", Operation=operation_id)
            state = field(outcome, "return")
            if state != ACTIVE:
                break
            attempt += 1
            self._wait(f"{self.service}.GetContinuousOperationStatus", attempt)
        if state != COMPLETED:
            raise SimulatorError("operation_failed", operation, f"{state}: {field(outcome, 'ResultMessage') or ''}")

    def receive(self) -> bytes:
        result = self.soap.call(
            "UploadData",
            ExchangePlanName=self.plan,
            NodeCode=self.node,
            FileID="",
            ContinuousOperation=False,
            Operation="",
            ContinuousOperationAllowed=True,
        )
        if field(result, "ContinuousOperation"):
            self._poll(field(result, "Operation"), f"{self.service}.UploadData")
        file_id = field(result, "FileID")
        prepared = self.soap.call("PrepareGetFile", FileId=file_id, BlockSize=Decimal(self.part_kb))
        transfer_id = field(prepared, "TransferId")
        try:
            parts = []
            for number in range(1, int(field(prepared, "PartQuantity") or 0) + 1):
                part = self.soap.call("GetFilePart", TransferId=transfer_id, PartNumber=number)
                data = field(part, "PartData")
                if data is None:
                    raise SimulatorError("protocol", f"{self.service}.GetFilePart", f"part {number} came back empty")
                parts.append(data)
        finally:
            self.soap.call("ReleaseFile", TransferId=transfer_id)
        return join_parts(parts)

    def send(self, payload: bytes) -> None:
        result = self.soap.call("TestConnection", ExchangePlanName=self.plan, NodeCode=self.node)
        if field(result, "return") is not True:
            raise SimulatorError(
                "test_connection", f"{self.service}.TestConnection", str(field(result, "Result") or "")
            )
        transfer_id = str(uuid.uuid4())
        parts = split(payload, self.part_kb)
        for number, part in enumerate(parts, start=1):
            self.soap.call("PutFilePart", TransferId=transfer_id, PartNumber=number, PartData=part)
        saved = self.soap.call("SaveFileFromParts", TransferId=transfer_id, PartQuantity=len(parts))
        file_id = field(saved, "FileId")
        result = self.soap.call(
            "DownloadData",
            ExchangePlanName=self.plan,
            NodeCode=self.node,
            FileID=str(file_id),
            ContinuousOperation=False,
            Operation="",
            ContinuousOperationAllowed=False,
        )
        if field(result, "ContinuousOperation"):
            self._poll(field(result, "Operation"), f"{self.service}.DownloadData")

    def close(self) -> None:
        super().close()
        self.interface.close()


def _array_values(array: object) -> list[str]:
    """The strings of a v8:Array (`Value` elements typed with xsi:type)."""
    if array is None:
        return []
    if isinstance(array, list):  # zeep unwraps a type whose only element is the repeated Value
        return [str(getattr(value, "value", value)) for value in array]
    values = field(array, "Value")
    if values is None:
        values = getattr(array, "Value", None)
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    return [str(getattr(value, "value", value)) for value in values]


def make_flow(service: str, params: ConnectionParams, recorder: CallRecorder, **options: object) -> ExchangeFlow:
    """`ede` or `exchange` (or the full service names)."""
    name = service.lower()
    if name in ("ede", EDE.lower()):
        return EdeFlow(params, recorder, **options)  # type: ignore[arg-type]
    if name in ("exchange", EXCHANGE.lower()):
        return Exchange2016Flow(params, recorder, **options)
    raise ValueError(f"unknown service {service!r}: choose ede or exchange")
