"""Convert 1C XDTO packages into XSD, following the mapping of ``enterprisedata.md`` §9.

Run ``python -m kassa_server.enterprisedata.xsdgen [REFERENCE_DIR] [OUTPUT_DIR]`` to regenerate ``xsd/`` from 1C's
packages (``REFERENCE_DIR/ssl/src/cf/XDTOPackages``; without the argument, ``$KASSA_ED_REFERENCE``). The packages are
1C's (CC BY 4.0, © 1C-Soft), from the XDTOPackages folder of the Standard Subsystems Library 3.2; they are not shipped.

The generated XSDs are faithful: they keep the ``xs:any``/``xs:anyAttribute`` wildcards of open types. Validation
uses a strict variant without wildcards, derived when a schema is loaded (see ``schema.py`` and ``xsd/README.md``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .versions import HEADER_NS, XS_NS, XSI_NS
from .xmlsafe import parse_trusted_file

XDTO_NS = "http://v8.1c.ru/8.1/xdto"
XS = f"{{{XS_NS}}}"
X = f"{{{XDTO_NS}}}"
XSI_TYPE = f"{{{XSI_NS}}}type"

HEADER_PACKAGE = "ExchangeMessage"
HEADER_XSD = "ExchangeMessage.xsd"
#: package directory name -> output XSD file name, for the eight versions of 1С:Мобильная касса
VERSION_PACKAGES: dict[str, str] = {
    "1.7": "EnterpriseData_1_7_8",
    "1.8": "EnterpriseData_1_8_6",
    "1.10": "EnterpriseData_1_10_8",
    "1.16": "EnterpriseData_1_16_2",
    "1.17": "EnterpriseData_1_17_3",
    "1.19": "EnterpriseData_1_19_1",
    "1.20": "EnterpriseData_1_20_2",
    "1.21": "EnterpriseData_1_21_1",
}
FACET_ATTRIBUTES = ("length", "minLength", "maxLength", "totalDigits", "fractionDigits")


def xsd_file_name(version: str) -> str:
    """``1.21`` -> ``EnterpriseData_1_21.xsd`` (the build number of the package is not part of the namespace)."""
    return "EnterpriseData_" + version.replace(".", "_") + ".xsd"


@dataclass
class _Prefixes:
    """Maps namespaces to the prefixes of the generated schema: ``tns`` own, ``ns1``… imports, ``xs``."""

    target: str
    imports: list[str]

    def nsmap(self) -> dict[str | None, str]:
        result: dict[str | None, str] = {"xs": XS_NS, "tns": self.target}
        for i, ns in enumerate(self.imports, start=1):
            result[f"ns{i}"] = ns
        return result

    def qname(self, clark_or_prefixed: str, scope: etree._Element | None) -> str:
        """Turn ``{ns}local`` or ``prefix:local`` (resolved in ``scope``) into this schema's ``prefix:local``."""
        if clark_or_prefixed.startswith("{"):
            ns, local = clark_or_prefixed[1:].split("}", 1)
        else:
            prefix, _, local = clark_or_prefixed.rpartition(":")
            assert scope is not None
            ns = scope.nsmap.get(prefix or None)
            if ns is None:
                raise ValueError(f"unbound prefix in {clark_or_prefixed!r}")
        if ns == XS_NS:
            return f"xs:{local}"
        if ns == self.target:
            return f"tns:{local}"
        return f"ns{self.imports.index(ns) + 1}:{local}"


def convert_package(package_path: Path, schema_locations: dict[str, str] | None = None) -> etree._ElementTree:
    """Return the XSD document of one XDTO package."""
    root = parse_trusted_file(package_path).getroot()
    if root.tag != X + "package":
        raise ValueError(f"{package_path}: not an XDTO package")
    target = root.get("targetNamespace") or ""
    imports = [imp.get("namespace") or "" for imp in root.iterchildren(X + "import")]
    prefixes = _Prefixes(target, imports)
    schema = etree.Element(
        XS + "schema",
        nsmap=prefixes.nsmap(),
        attrib={"targetNamespace": target, "attributeFormDefault": "unqualified", "elementFormDefault": "qualified"},
    )
    for ns in imports:
        attrib = {"namespace": ns}
        if schema_locations and ns in schema_locations:
            attrib["schemaLocation"] = schema_locations[ns]
        etree.SubElement(schema, XS + "import", attrib)
    top_objects: list[str] = []
    for child in root.iterchildren(X + "valueType", X + "objectType"):
        if child.tag == X + "valueType":
            schema.append(_simple_type(child, prefixes, child.get("name")))
        else:
            schema.append(_complex_type(child, prefixes, child.get("name")))
            if child.get("abstract") != "true" and (
                child.get("base") is not None or target == HEADER_NS or child.get("name") == "УдалениеОбъекта"
            ):
                top_objects.append(child.get("name") or "")
    # Global elements: the packages have none; add one per top-level object type so that a Body child (or the
    # header) can be validated on its own.
    for name in top_objects:
        etree.SubElement(schema, XS + "element", {"name": name, "type": f"tns:{name}"})
    return etree.ElementTree(schema)


def _simple_type(value_type: etree._Element, prefixes: _Prefixes, name: str | None) -> etree._Element:
    simple = etree.Element(XS + "simpleType")
    if name is not None:
        simple.set("name", name)
    variety = value_type.get("variety", "Atomic")
    if variety == "List":
        etree.SubElement(simple, XS + "list", {"itemType": prefixes.qname(value_type.get("itemType", ""), value_type)})
        return simple
    if variety == "Union":
        members = " ".join(prefixes.qname(m, value_type) for m in (value_type.get("memberTypes") or "").split())
        etree.SubElement(simple, XS + "union", {"memberTypes": members})
        return simple
    restriction = etree.SubElement(
        simple, XS + "restriction", {"base": prefixes.qname(value_type.get("base", ""), value_type)}
    )
    for facet in FACET_ATTRIBUTES:
        value = value_type.get(facet)
        if value is not None:
            etree.SubElement(restriction, XS + facet, {"value": value})
    for child in value_type.iterchildren(X + "enumeration", X + "pattern"):
        tag = "enumeration" if child.tag == X + "enumeration" else "pattern"
        etree.SubElement(restriction, XS + tag, {"value": child.text or ""})
    return simple


def _complex_type(object_type: etree._Element, prefixes: _Prefixes, name: str | None) -> etree._Element:
    complex_type = etree.Element(XS + "complexType")
    if name is not None:
        complex_type.set("name", name)
    if object_type.get("abstract") == "true":
        complex_type.set("abstract", "true")
    holder = complex_type
    base = object_type.get("base")
    if base is not None:
        content = etree.SubElement(complex_type, XS + "complexContent")
        holder = etree.SubElement(content, XS + "extension", {"base": prefixes.qname(base, object_type)})
    group_tag = "choice" if object_type.get("ordered") == "false" else "sequence"
    group = etree.SubElement(holder, XS + group_tag)
    for prop in object_type.iterchildren(X + "property"):
        group.append(_element(prop, prefixes))
    if object_type.get("open") == "true":
        etree.SubElement(
            group,
            XS + "any",
            {"namespace": "##any", "processContents": "lax", "minOccurs": "0", "maxOccurs": "unbounded"},
        )
        etree.SubElement(holder, XS + "anyAttribute", {"namespace": "##any", "processContents": "lax"})
    return complex_type


def _element(prop: etree._Element, prefixes: _Prefixes) -> etree._Element:
    if prop.get("form") == "Attribute":
        raise ValueError(f"attribute properties are not supported: {prop.get('name')}")
    element = etree.Element(XS + "element", {"name": prop.get("name", "")})
    prop_type = prop.get("type")
    if prop_type is not None:
        element.set("type", prefixes.qname(prop_type, prop))
    if prop.get("nillable") == "true":
        element.set("nillable", "true")
    lower = prop.get("lowerBound", "1")
    upper = prop.get("upperBound", "1")
    if lower != "1":
        element.set("minOccurs", lower)
    if upper != "1":
        element.set("maxOccurs", "unbounded" if upper == "-1" else upper)
    type_def = prop.find(X + "typeDef")
    if type_def is not None:
        if type_def.get(XSI_TYPE) == "ObjectType":
            element.append(_complex_type(type_def, prefixes, None))
        else:
            element.append(_simple_type(type_def, prefixes, None))
    return element


def serialize(tree: etree._ElementTree) -> bytes:
    etree.indent(tree, space="\t")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"


REFERENCE_ENV = "KASSA_ED_REFERENCE"
"""Names the folder that holds 1C's packages as ``ssl/src/cf/XDTOPackages``: a developer's tool setting, read only
by this module's command and the tests that regenerate the XSDs, never by the server."""


def default_reference_dir() -> Path | None:
    env = os.environ.get(REFERENCE_ENV)
    return Path(env) if env else None


def packages_dir(reference_dir: Path) -> Path:
    return reference_dir / "ssl" / "src" / "cf" / "XDTOPackages"


def generate_all(reference_dir: Path) -> dict[str, bytes]:
    """Return ``{file name: XSD bytes}`` for the header package and every supported version."""
    packages = packages_dir(reference_dir)
    result = {HEADER_XSD: serialize(convert_package(packages / HEADER_PACKAGE / "Ext" / "Package.bin"))}
    for version, package in VERSION_PACKAGES.items():
        tree = convert_package(packages / package / "Ext" / "Package.bin", {HEADER_NS: HEADER_XSD})
        result[xsd_file_name(version)] = serialize(tree)
    return result


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    reference_dir = Path(args[0]) if args else default_reference_dir()
    if reference_dir is None or not packages_dir(reference_dir).is_dir():
        print(f"1C's XDTO packages not found: pass their folder or set {REFERENCE_ENV}", file=sys.stderr)
        return 2
    output_dir = Path(args[1]) if len(args) > 1 else Path(__file__).resolve().parents[2] / "xsd"
    for name, data in generate_all(reference_dir).items():
        (output_dir / name).write_bytes(data)
        print(f"{output_dir / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
