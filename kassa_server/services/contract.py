"""The three services' wire contract as data, transcribed from soap-services.md §3, §4, §5 ([V] SSL31 metadata).

This table is the one source of every operation: the served WSDL is rendered from it (services/wsdl.py), and the spyne
signature of each service method (request types, response types and nillability, out-variable names) is derived from it
by ``wire.operation`` (services/wire.py). A test checks that spyne's dispatch and the WSDL still agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kassa_server.enterprisedata.versions import XS_NS, XSI_NS

XS, XSI = XS_NS, XSI_NS
"""The format's schema namespaces, under the short names the wire modules use."""
V8_CORE = "http://v8.1c.ru/8.1/data/core"
EDE_TYPES = "http://v8.1c.ru/SSL/Exchange/EnterpriseDataExchange"


class Direction(Enum):
    IN = "in"
    INOUT = "inout"
    OUT = "out"


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    """Qualified XSD type: ``xs:string``, ``v8:Structure``, ``d:PrepareDataOperationResult`` …"""
    nillable: bool = False
    direction: Direction = Direction.IN


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]
    returns: str
    returns_nillable: bool

    @property
    def request(self) -> tuple[Param, ...]:
        """The request wrapper: In and InOut parameters in declaration order."""
        return tuple(p for p in self.params if p.direction is not Direction.OUT)

    @property
    def response(self) -> tuple[Param, ...]:
        """The response wrapper: ``return`` first, then InOut and Out parameters in declaration order."""
        first = Param("return", self.returns, self.returns_nillable, Direction.OUT)
        return (first, *(p for p in self.params if p.direction is not Direction.IN))


@dataclass(frozen=True)
class ServiceContract:
    name: str
    tns: str
    descriptor: str
    type_namespaces: tuple[str, ...]
    operations: tuple[Operation, ...]

    def soap_action(self, operation: str) -> str:
        return f"{self.tns}#{self.name}:{operation}"

    def operation(self, name: str) -> Operation:
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(name)


IO, OUT = Direction.INOUT, Direction.OUT
STR, BOOL, INT, DEC, B64 = "xs:string", "xs:boolean", "xs:int", "xs:decimal", "xs:base64Binary"
UUID, STRUCT, ARRAY, STORAGE = "v8:UUID", "v8:Structure", "v8:Array", "v8:ValueStorage"
PLAN = Param("ExchangePlanName", STR)
NODE = Param("NodeCode", STR)
PEER = Param("PeerCode", STR)


def _op(name: str, returns: str, returns_nillable: bool, *params: Param) -> Operation:
    return Operation(name, params, returns, returns_nillable)


EXCHANGE_2_0_1_6 = ServiceContract(
    name="Exchange_2_0_1_6",
    tns="http://www.1c.ru/SSL/Exchange_2_0_1_6",
    descriptor="exchange_2_0_1_6.1cws",
    type_namespaces=(V8_CORE,),
    operations=(
        _op("Upload", STR, True, PLAN, NODE, Param("Data", STORAGE, True, OUT)),
        _op("Download", STR, True, PLAN, NODE, Param("Data", STORAGE)),
        _op(
            "UploadData",
            STR,
            True,
            PLAN,
            NODE,
            Param("FileID", STR, True, IO),
            Param("ContinuousOperation", BOOL, True, IO),
            Param("Operation", STR, True, IO),
            Param("ContinuousOperationAllowed", BOOL),
        ),
        _op(
            "DownloadData",
            STR,
            True,
            PLAN,
            NODE,
            Param("FileID", STR),
            Param("ContinuousOperation", BOOL, True, IO),
            Param("Operation", STR, True, IO),
            Param("ContinuousOperationAllowed", BOOL),
        ),
        _op(
            "GetIBParameters", STRUCT, False, PLAN, Param("NodeCode", STR, True), Param("ResultMessage", STR, True, IO)
        ),
        _op("GetIBData", STRUCT, False, Param("TableName", STR)),
        _op("GetCommonNodsData", STRUCT, False, PLAN),
        _op(
            "CreateExchange",
            STR,
            True,
            PLAN,
            Param("Parameters", STR),
            Param("FilterSettings", STRUCT),
            Param("AdditionalSettings", STRUCT),
        ),
        _op("UpdateExchange", STR, True, PLAN, NODE, Param("AdditionalSettings", STRUCT)),
        _op(
            "RegisterOnlyCatalogData",
            STR,
            True,
            PLAN,
            NODE,
            Param("ContinuousOperation", BOOL, False, IO),
            Param("Operation", STR, True, OUT),
        ),
        _op(
            "RegisterAllDataExceptCatalogs",
            STR,
            True,
            PLAN,
            NODE,
            Param("ContinuousOperation", BOOL, False, IO),
            Param("Operation", STR, True, OUT),
        ),
        _op(
            "GetContinuousOperationStatus", STR, False, Param("Operation", STR), Param("ResultMessage", STR, True, OUT)
        ),
        _op("GetFunctionalOption", BOOL, False, Param("Name", STR)),
        _op(
            "PrepareGetFile",
            STR,
            True,
            Param("FileId", UUID),
            Param("BlockSize", DEC),
            Param("TransferId", UUID, False, OUT),
            Param("PartQuantity", INT, False, OUT),
        ),
        _op(
            "GetFilePart",
            STR,
            True,
            Param("TransferId", UUID),
            Param("PartNumber", INT),
            Param("PartData", B64, True, OUT),
        ),
        _op("ReleaseFile", STR, True, Param("TransferId", UUID)),
        _op(
            "PutFilePart",
            STR,
            True,
            Param("TransferId", UUID),
            Param("PartNumber", INT, True),
            Param("PartData", B64),
        ),
        _op(
            "SaveFileFromParts",
            STR,
            True,
            Param("TransferId", UUID),
            Param("PartQuantity", INT),
            Param("FileId", UUID, False, OUT),
        ),
        _op("PutFileIntoStorage", STR, True, Param("FileName", STR), Param("FileId", UUID, False, OUT)),
        _op("GetFileFromStorage", STR, False, Param("FileId", UUID)),
        _op("FileExists", BOOL, False, Param("FileName", STR)),
        _op("Ping", STR, True),
        _op("TestConnection", BOOL, False, PLAN, NODE, Param("Result", STR, True, OUT)),
    ),
)

ENTERPRISE_DATA_EXCHANGE_1_0_1_1 = ServiceContract(
    name="EnterpriseDataExchange_1_0_1_1",
    tns="http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1",
    descriptor="EnterpriseDataExchange_1_0_1_1.1cws",
    type_namespaces=(EDE_TYPES,),
    operations=(
        _op("Ping", STR, True),
        _op("TestConnection", BOOL, False, PLAN, PEER, Param("ErrorMessage", STR, True, OUT)),
        _op(
            "PrepareDataForGetting",
            STR,
            True,
            PLAN,
            PEER,
            Param("PartSize", DEC),
            Param("OperationID", STR, True, OUT),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op(
            "PrepareDataActionResult",
            "d:PrepareDataOperationResult",
            False,
            Param("OperationID", STR),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op(
            "GetDataPart",
            B64,
            True,
            Param("FileID", STR),
            Param("PartNumber", INT),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op(
            "ConfirmGettingFile",
            STR,
            True,
            Param("FileID", STR),
            Param("ClearDataPool", BOOL),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op(
            "PutFilePart",
            STR,
            True,
            Param("FileID", STR),
            Param("PartNumber", INT, True),
            Param("PartData", B64),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op(
            "PutData",
            STR,
            True,
            PLAN,
            PEER,
            Param("FileID", STR),
            Param("OperationID", STR, True, OUT),
            Param("ErrorMessage", STR, True, OUT),
        ),
        _op("PutDataActionResult", STR, False, Param("OperationID", STR), Param("ErrorMessage", STR, True, OUT)),
    ),
)

INTERFACE_VERSION = ServiceContract(
    name="InterfaceVersion",
    tns="http://www.1c.ru/SaaS/1.0/WS",
    descriptor="InterfaceVersion.1cws",
    type_namespaces=(V8_CORE,),
    operations=(_op("GetVersions", ARRAY, False, Param("InterfaceName", STR)),),
)

SERVICES: tuple[ServiceContract, ...] = (EXCHANGE_2_0_1_6, ENTERPRISE_DATA_EXCHANGE_1_0_1_1, INTERFACE_VERSION)
