"""The v8 core types of the served WSDL are the full set a 1C server publishes (issue 9 §9): the type names of the
JAXWS stubs generated from a real ``exchange_2_0_1_6.1cws?wsdl`` (lanamagnifico/exchange2016, its core package)."""

from __future__ import annotations

import httpx
from lxml import etree

from kassa_server.services.contract import V8_CORE, XS
from tests.soap_support import SoapServer

PUBLISHED = {
    "AllowedLength", "AllowedSign", "Array", "BinaryDataQualifiers", "DataFillError", "DataFillErrors",
    "DateFractions", "DateQualifiers", "Exception", "FillCheckErrorStatus", "FillChecking", "FixedArray", "FixedMap",
    "FixedStructure", "GenericException", "KeyAndValue", "LocalStringItemType", "LocalStringType", "Map",
    "NumberQualifiers", "StandardBeginningDate", "StandardBeginningDateVariant", "StandardPeriod",
    "StandardPeriodVariant", "StringQualifiers", "Structure", "TypeDescription", "UUID", "ValueListItemType",
    "ValueListType", "ValueStorage", "ValueTable", "ValueTableColumn", "ValueTableIndex", "ValueTableRow", "ValueTree",
    "ValueTreeColumn", "ValueTreeRow",
}  # fmt: skip


def test_the_served_wsdl_publishes_every_v8_core_type(soap_server: SoapServer) -> None:
    for service in ("Exchange_2_0_1_6", "InterfaceVersion"):
        wsdl = etree.fromstring(httpx.get(soap_server.url(service) + "?wsdl", auth=soap_server.auth).content)
        core = next(s for s in wsdl.iter(f"{{{XS}}}schema") if s.get("targetNamespace") == V8_CORE)
        names = {t.get("name") for t in core if t.tag in (f"{{{XS}}}complexType", f"{{{XS}}}simpleType")}
        assert names == PUBLISHED, sorted(PUBLISHED ^ names)
        etree.XMLSchema(core)  # and it compiles on its own
