"""Render a service's WSDL the way 1C publishes it (soap-services.md §2), from the contract table.

The document is rendered once per service with a placeholder address; ``render_wsdl`` substitutes the address of the
current request, so nothing depends on the first request's host.
"""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape

from lxml import etree

from kassa_server.enterprisedata.xmlsafe import safe_parser
from kassa_server.services.contract import EDE_TYPES, V8_CORE, XS, Operation, Param, ServiceContract

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11_BIND = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_BIND = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSI = "http://ws-i.org/schemas/conformanceClaim/"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
_ADDRESS = "__KASSA_SOAP_ADDRESS__"

_BEGINNING_VARIANTS = [
    "Custom",
    "BeginningOfThisDay",
    "BeginningOfThisWeek",
    "BeginningOfThisTenDays",
    "BeginningOfThisMonth",
    "BeginningOfThisQuarter",
    "BeginningOfThisHalfYear",
    "BeginningOfThisYear",
    "BeginningOfLastDay",
    "BeginningOfLastWeek",
    "BeginningOfLastTenDays",
    "BeginningOfLastMonth",
    "BeginningOfLastQuarter",
    "BeginningOfLastHalfYear",
    "BeginningOfLastYear",
    "BeginningOfNextDay",
    "BeginningOfNextWeek",
    "BeginningOfNextTenDays",
    "BeginningOfNextMonth",
    "BeginningOfNextQuarter",
    "BeginningOfNextHalfYear",
    "BeginningOfNextYear",
]
_PERIOD_VARIANTS = [
    "Custom",
    "Today",
    "ThisWeek",
    "ThisTenDays",
    "ThisMonth",
    "ThisQuarter",
    "ThisHalfYear",
    "ThisYear",
    "FromBeginningOfThisWeek",
    "FromBeginningOfThisTenDays",
    "FromBeginningOfThisMonth",
    "FromBeginningOfThisQuarter",
    "FromBeginningOfThisHalfYear",
    "FromBeginningOfThisYear",
    "Yesterday",
    "LastWeek",
    "LastTenDays",
    "LastMonth",
    "LastQuarter",
    "LastHalfYear",
    "LastYear",
    "LastWeekTillSameWeekDay",
    "LastTenDaysTillSameDayNumber",
    "LastMonthTillSameDate",
    "LastQuarterTillSameDate",
    "LastHalfYearTillSameDate",
    "LastYearTillSameDate",
    "Tomorrow",
    "NextWeek",
    "NextTenDays",
    "NextMonth",
    "NextQuarter",
    "NextHalfYear",
    "NextYear",
    "NextWeekTillSameWeekDay",
    "NextTenDaysTillSameDayNumber",
    "NextMonthTillSameDate",
    "NextQuarterTillSameDate",
    "NextHalfYearTillSameDate",
    "NextYearTillSameDate",
    "TillEndOfThisWeek",
    "TillEndOfThisTenDays",
    "TillEndOfThisMonth",
    "TillEndOfThisQuarter",
    "TillEndOfThisHalfYear",
    "TillEndOfThisYear",
    "Last7Days",
    "Next7Days",
    "Month",
]


def _enumeration(values: list[str]) -> str:
    return "\n".join(f'      <xs:enumeration value="{value}"/>' for value in values)


CORE_SCHEMA = f"""<xs:schema xmlns:xs="{XS}" xmlns:tns="{V8_CORE}" targetNamespace="{V8_CORE}"
    attributeFormDefault="unqualified" elementFormDefault="qualified">
  <xs:simpleType name="AllowedLength">
    <xs:restriction base="xs:string"><xs:enumeration value="Fixed"/><xs:enumeration value="Variable"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="AllowedSign">
    <xs:restriction base="xs:string"><xs:enumeration value="Any"/><xs:enumeration value="Nonnegative"/></xs:restriction>
  </xs:simpleType>
  <xs:complexType name="Array">
    <xs:sequence>
      <xs:element name="Value" type="xs:anyType" minOccurs="0" maxOccurs="unbounded" nillable="true"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="BinaryDataQualifiers">
    <xs:sequence>
      <xs:element name="Length" type="xs:decimal"/>
      <xs:element name="AllowedLength" type="tns:AllowedLength"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="DataFillError">
    <xs:sequence>
      <xs:element name="Data" type="xs:string"/>
      <xs:element name="DataDescr" type="xs:string"/>
      <xs:element name="Text" type="xs:string"/>
      <xs:element name="Status" type="tns:FillCheckErrorStatus"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="DataFillErrors">
    <xs:sequence>
      <xs:element name="item" type="tns:DataFillError" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="DateFractions">
    <xs:restriction base="xs:string">
      <xs:enumeration value="Date"/><xs:enumeration value="Time"/><xs:enumeration value="DateTime"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="DateQualifiers">
    <xs:sequence>
      <xs:element name="DateFractions" type="tns:DateFractions"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="GenericException">
    <xs:sequence>
      <xs:element name="descr" type="xs:string"/>
      <xs:element name="inner" type="tns:GenericException" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="clsid" type="tns:UUID" use="required"/>
    <xs:attribute name="encoded" type="xs:boolean" default="false"/>
  </xs:complexType>
  <xs:complexType name="Exception">
    <xs:complexContent>
      <xs:extension base="tns:GenericException">
        <xs:sequence>
          <xs:element name="data" type="xs:base64Binary" minOccurs="0"/>
        </xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
  <xs:simpleType name="FillCheckErrorStatus">
    <xs:restriction base="xs:string"><xs:enumeration value="Error"/><xs:enumeration value="Warning"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="FillChecking">
    <xs:restriction base="xs:string">
      <xs:enumeration value="DontCheck"/><xs:enumeration value="ShowError"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="FixedArray">
    <xs:sequence>
      <xs:element name="Value" type="xs:anyType" minOccurs="0" maxOccurs="unbounded" nillable="true"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="KeyAndValue">
    <xs:sequence>
      <xs:element name="Key" type="xs:anyType"/>
      <xs:element name="Value" type="xs:anyType" nillable="true"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="FixedMap">
    <xs:sequence>
      <xs:element name="pair" type="tns:KeyAndValue" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="FixedStructure">
    <xs:sequence>
      <xs:element name="Property" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="Value" type="xs:anyType" nillable="true"/>
          </xs:sequence>
          <xs:attribute name="name" type="xs:NMTOKEN" use="required"/>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="LocalStringItemType">
    <xs:sequence>
      <xs:element name="lang" type="xs:NMTOKEN"/>
      <xs:element name="content" type="xs:string"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="LocalStringType">
    <xs:sequence>
      <xs:element name="item" type="tns:LocalStringItemType" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Map">
    <xs:sequence>
      <xs:element name="pair" type="tns:KeyAndValue" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="NumberQualifiers">
    <xs:sequence>
      <xs:element name="Digits" type="xs:decimal"/>
      <xs:element name="FractionDigits" type="xs:decimal"/>
      <xs:element name="AllowedSign" type="tns:AllowedSign"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="StandardBeginningDate">
    <xs:sequence>
      <xs:element name="variant" type="xs:anyType"/>
      <xs:element name="date" type="xs:dateTime" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="StandardBeginningDateVariant">
    <xs:restriction base="xs:string">
{_enumeration(_BEGINNING_VARIANTS)}
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="StandardPeriod">
    <xs:sequence>
      <xs:element name="variant" type="xs:anyType"/>
      <xs:element name="startDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="endDate" type="xs:dateTime" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="StandardPeriodVariant">
    <xs:restriction base="xs:string">
{_enumeration(_PERIOD_VARIANTS)}
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="StringQualifiers">
    <xs:sequence>
      <xs:element name="Length" type="xs:decimal"/>
      <xs:element name="AllowedLength" type="tns:AllowedLength"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Structure">
    <xs:sequence>
      <xs:element name="Property" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="Value" type="xs:anyType" nillable="true"/>
          </xs:sequence>
          <xs:attribute name="name" type="xs:NMTOKEN" use="required"/>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="TypeDescription">
    <xs:sequence>
      <xs:element name="Type" type="xs:QName" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="TypeSet" type="xs:QName" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="TypeId" type="tns:UUID" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="NumberQualifiers" type="tns:NumberQualifiers" minOccurs="0"/>
      <xs:element name="StringQualifiers" type="tns:StringQualifiers" minOccurs="0"/>
      <xs:element name="DateQualifiers" type="tns:DateQualifiers" minOccurs="0"/>
      <xs:element name="BinaryDataQualifiers" type="tns:BinaryDataQualifiers" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="UUID">
    <xs:restriction base="xs:string">
      <xs:pattern value="[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="ValueListItemType">
    <xs:sequence>
      <xs:element name="value" type="xs:anyType" nillable="true"/>
      <xs:element name="presentation" type="xs:string" minOccurs="0"/>
      <xs:element name="checkState" type="xs:decimal" minOccurs="0"/>
      <xs:element name="picture" type="xs:anyType" minOccurs="0"/>
      <xs:element name="id" type="xs:long" minOccurs="0"/>
      <xs:element name="formatPresentationSpecified" type="xs:boolean" minOccurs="0"/>
      <xs:element name="formatPresentation" type="xs:string" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueListType">
    <xs:sequence>
      <xs:element name="valueType" type="tns:TypeDescription"/>
      <xs:element name="availableValues" type="tns:ValueListType" minOccurs="0"/>
      <xs:element name="item" type="tns:ValueListItemType" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="lastId" type="xs:long" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="ValueStorage">
    <xs:restriction base="xs:base64Binary"/>
  </xs:simpleType>
  <xs:complexType name="ValueTableColumn">
    <xs:sequence>
      <xs:element name="Name" type="xs:NMTOKEN" minOccurs="0"/>
      <xs:element name="ValueType" type="tns:TypeDescription" minOccurs="0"/>
      <xs:element name="Title" type="xs:string" minOccurs="0"/>
      <xs:element name="Width" type="xs:nonNegativeInteger" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTableIndex">
    <xs:sequence>
      <xs:element name="column" type="xs:NMTOKEN" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTableRow">
    <xs:sequence>
      <xs:element name="Value" type="xs:anyType" minOccurs="0" maxOccurs="unbounded" nillable="true"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTable">
    <xs:sequence>
      <xs:element name="column" type="tns:ValueTableColumn" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="index" type="tns:ValueTableIndex" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="row" type="tns:ValueTableRow" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTreeColumn">
    <xs:sequence>
      <xs:element name="Name" type="xs:NMTOKEN" minOccurs="0"/>
      <xs:element name="ValueType" type="tns:TypeDescription" minOccurs="0"/>
      <xs:element name="Title" type="xs:string" minOccurs="0"/>
      <xs:element name="Width" type="xs:nonNegativeInteger" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTreeRow">
    <xs:sequence>
      <xs:element name="row" type="tns:ValueTreeRow" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="Value" type="xs:anyType" minOccurs="0" maxOccurs="unbounded" nillable="true"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ValueTree">
    <xs:sequence>
      <xs:element name="column" type="tns:ValueTreeColumn" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="row" type="tns:ValueTreeRow" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
</xs:schema>"""
"""The v8 core types a 1C server publishes in ``http://v8.1c.ru/8.1/data/core`` (every type of the JAXWS stubs
generated from a real ``exchange_2_0_1_6.1cws?wsdl``, soap-services.md §2.2), not only the ones the services use."""

EDE_SCHEMA = f"""<xs:schema xmlns:xs="{XS}" xmlns:tns="{EDE_TYPES}" targetNamespace="{EDE_TYPES}"
    attributeFormDefault="unqualified" elementFormDefault="qualified">
  <xs:complexType name="PrepareDataOperationResult">
    <xs:sequence>
      <xs:element name="ErrorMessage" type="xs:string" minOccurs="0"/>
      <xs:element name="FileID" type="xs:string" minOccurs="0"/>
      <xs:element name="PartCount" type="xs:int" minOccurs="0"/>
      <xs:element name="Status" type="xs:string" minOccurs="0"/>
      <xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:anyAttribute namespace="##any" processContents="lax"/>
  </xs:complexType>
</xs:schema>"""

_TYPE_SCHEMAS = {V8_CORE: CORE_SCHEMA, EDE_TYPES: EDE_SCHEMA}


def _type_prefixes(contract: ServiceContract) -> dict[str, str]:
    """Prefix → namespace for the types the service uses: ``xsd1`` is the tns, then the XDTO packages."""
    prefixes = {"xsd1": contract.tns}
    for index, namespace in enumerate(contract.type_namespaces, start=2):
        prefixes[f"xsd{index}"] = namespace
    return prefixes


def _qualify(type_name: str, prefixes: dict[str, str]) -> str:
    prefix, local = type_name.split(":")
    if prefix == "xs":
        return f"xsd:{local}"
    namespace = {"v8": V8_CORE, "d": EDE_TYPES}[prefix]
    for candidate, uri in prefixes.items():
        if uri == namespace:
            return f"{candidate}:{local}"
    raise KeyError(f"{type_name}: namespace not imported by the service")


def _element(param: Param, prefixes: dict[str, str]) -> str:
    nillable = ' nillable="true"' if param.nillable else ""
    return f'<xsd:element name="{param.name}" type="{_qualify(param.type, prefixes)}"{nillable}/>'


def _wrapper(name: str, params: tuple[Param, ...], prefixes: dict[str, str]) -> str:
    body = "".join(_element(p, prefixes) for p in params)
    sequence = f"<xsd:complexType><xsd:sequence>{body}</xsd:sequence></xsd:complexType>"
    return f'<xsd:element name="{name}">{sequence}</xsd:element>'


def _binding(contract: ServiceContract, suffix: str, prefix: str) -> str:
    ops = "".join(
        f'<operation name="{op.name}">'
        f'<{prefix}:operation style="document" soapAction="{contract.soap_action(op.name)}"/>'
        f'<input><{prefix}:body use="literal"/></input><output><{prefix}:body use="literal"/></output>'
        "</operation>"
        for op in contract.operations
    )
    return (
        f'<binding name="{contract.name}{suffix}" type="tns:{contract.name}PortType">'
        f'<{prefix}:binding style="document" transport="{HTTP_TRANSPORT}"/>{ops}</binding>'
    )


def _messages(op: Operation) -> str:
    return (
        f'<message name="{op.name}RequestMessage"><part name="parameters" element="tns:{op.name}"/></message>'
        f'<message name="{op.name}ResponseMessage"><part name="parameters" element="tns:{op.name}Response"/></message>'
    )


@functools.cache
def wsdl_template(contract: ServiceContract) -> str:
    prefixes = _type_prefixes(contract)
    xmlns = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in prefixes.items())
    type_schemas = "".join(_TYPE_SCHEMAS[ns] for ns in contract.type_namespaces)
    imports = "".join(f'<xsd:import namespace="{ns}"/>' for ns in contract.type_namespaces)
    elements = "".join(
        _wrapper(op.name, op.request, prefixes) + _wrapper(f"{op.name}Response", op.response, prefixes)
        for op in contract.operations
    )
    own_schema = (
        f'<xsd:schema targetNamespace="{contract.tns}" attributeFormDefault="unqualified" '
        f'elementFormDefault="qualified">{imports}{elements}</xsd:schema>'
    )
    name = contract.name
    document = (
        f'<definitions xmlns="{WSDL}" xmlns:soap12bind="{SOAP12_BIND}" xmlns:soapbind="{SOAP11_BIND}" '
        f'xmlns:tns="{contract.tns}" xmlns:wsi="{WSI}" xmlns:xsd="{XS}"{xmlns} '
        f'name="{name}" targetNamespace="{contract.tns}">'
        f"<types>{type_schemas}{own_schema}</types>"
        + "".join(_messages(op) for op in contract.operations)
        + f'<portType name="{name}PortType">'
        + "".join(
            f'<operation name="{op.name}"><input message="tns:{op.name}RequestMessage"/>'
            f'<output message="tns:{op.name}ResponseMessage"/></operation>'
            for op in contract.operations
        )
        + "</portType>"
        + _binding(contract, "SoapBinding", "soapbind")
        + _binding(contract, "Soap12Binding", "soap12bind")
        + f'<service name="{name}">'
        f'<port name="{name}Soap" binding="tns:{name}SoapBinding">'
        '<documentation><wsi:Claim conformsTo="http://ws-i.org/profiles/basic/1.1"/></documentation>'
        f'<soapbind:address location="{_ADDRESS}"/></port>'
        f'<port name="{name}Soap12" binding="tns:{name}Soap12Binding">'
        f'<soap12bind:address location="{_ADDRESS}"/></port>'
        "</service></definitions>"
    )
    # Parse and pretty-print once: proves the template is well-formed and makes it readable for humans.
    tree = etree.fromstring(document.encode("utf-8"), safe_parser())
    return etree.tostring(tree, encoding="unicode", pretty_print=True)


def render_wsdl(contract: ServiceContract, address: str) -> bytes:
    """The WSDL with ``soap:address`` = ``address`` (the descriptor URL, soap-services.md §1.1)."""
    text = wsdl_template(contract).replace(_ADDRESS, escape(address, {'"': "&quot;"}))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")
