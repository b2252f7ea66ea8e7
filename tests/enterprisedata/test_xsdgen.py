"""The XDTO -> XSD converter: committed XSDs are up to date and match the independent konvey 1.8 XSD."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from kassa_server.enterprisedata import xsdgen

REFERENCE = xsdgen.default_reference_dir() or Path("-")
XS = "{http://www.w3.org/2001/XMLSchema}"
QNAME_ATTRIBUTES = ("type", "base", "itemType", "memberTypes")

pytestmark = pytest.mark.skipif(
    not xsdgen.packages_dir(REFERENCE).is_dir(),
    reason=(
        f"1C's EnterpriseData schema packages not found: set {xsdgen.REFERENCE_ENV} to the folder that holds "
        "ssl/src/cf/XDTOPackages (Standard Subsystems Library 3.2; see docs/protocol/messages.md, Schemas)"
    ),
)


def test_committed_xsds_are_regenerated_without_difference() -> None:
    committed = resources.files("kassa_server._xsd")
    generated = xsdgen.generate_all(REFERENCE)
    assert set(generated) == {"ExchangeMessage.xsd", *(xsdgen.xsd_file_name(v) for v in xsdgen.VERSION_PACKAGES)}
    for name, data in generated.items():
        assert committed.joinpath(name).read_bytes() == data, f"xsd/{name} is stale: run python -m {xsdgen.__name__}"


def _canonical(element: etree._Element) -> str:
    """A prefix-independent text of one schema component: QName attributes in Clark notation, sorted attributes."""
    parts = []
    for node in element.iter(etree.Element):
        attributes = []
        for key, value in sorted(node.attrib.items()):
            if key == "schemaLocation":
                continue
            if key in QNAME_ATTRIBUTES:
                value = " ".join(_clark(node, item) for item in value.split())
            attributes.append(f"{key}={value}")
        depth = sum(1 for _ in node.iterancestors()) - sum(1 for _ in element.iterancestors())
        parts.append(f"{depth}:{node.tag}[{','.join(attributes)}]")
    return "\n".join(parts)


def _clark(node: etree._Element, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    return f"{{{node.nsmap[prefix or None]}}}{local}"


def _components(root: etree._Element) -> dict[str, str]:
    result = {}
    for child in root.iterchildren(etree.Element):
        key = f"{etree.QName(child).localname}:{child.get('name') or child.get('namespace')}"
        result[key] = _canonical(child)
    return result


def test_converter_reproduces_the_konvey_1_8_xsd_component_for_component() -> None:
    konvey = REFERENCE / "konvey" / "backend" / "tests" / "fixtures" / "EnterpriseData_1_8_6.xsd"
    theirs = _components(etree.parse(str(konvey)).getroot())
    package = xsdgen.packages_dir(REFERENCE) / "EnterpriseData_1_8_6" / "Ext" / "Package.bin"
    ours = _components(xsdgen.convert_package(package).getroot())
    # our only addition: global elements for the top-level objects (the packages have none)
    added = {key for key in ours if key.startswith("element:")}
    assert added and all(key not in theirs for key in added)
    assert len(theirs) == 1016
    assert set(ours) - added == set(theirs)
    different = [key for key in theirs if ours[key] != theirs[key]]
    assert different == []


def test_generated_header_schema_has_the_spec_order() -> None:
    root = etree.parse(str(Path(str(resources.files("kassa_server._xsd").joinpath("ExchangeMessage.xsd"))))).getroot()
    header = root.find(f"{XS}complexType[@name='Header']")
    assert header is not None
    names = [e.get("name") for e in header.iter(f"{XS}element")]
    assert names == [
        "Format", "CreationDate", "Confirmation", "AvailableVersion", "NewFrom", "AvailableObjectTypes",
        "Prefix", "AvailableExtensions", "SynchronizationContour",
    ]  # fmt: skip
