"""Fixtures of the simulator's tests: strict XSD validators for the versions the simulator writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

XSD_DIR = Path(__file__).resolve().parents[2] / "xsd"
XS = "http://www.w3.org/2001/XMLSchema"


def _strip_wildcards(source: Path, target: Path) -> None:
    """libxml2 cannot compile the faithful schemas (UPA, enterprisedata.md §9): drop xs:any / xs:anyAttribute."""
    tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    for wildcard in tree.iter(f"{{{XS}}}any", f"{{{XS}}}anyAttribute"):
        wildcard.getparent().remove(wildcard)
    tree.write(str(target), xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="session")
def strict_xsd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (XSD_DIR / "ExchangeMessage.xsd").exists():
        pytest.fail(f"the generated XSDs are missing from {XSD_DIR}")
    target = tmp_path_factory.mktemp("xsd")
    for source in XSD_DIR.glob("*.xsd"):
        _strip_wildcards(source, target / source.name)
    return target


_schemas: dict[str, etree.XMLSchema] = {}


@pytest.fixture(scope="session")
def schema_for(strict_xsd_dir: Path) -> Callable[[str], etree.XMLSchema]:
    """`schema_for("1.21")` / `schema_for("header")`: a compiled strict schema, cached for the session."""

    def load(version: str) -> etree.XMLSchema:
        if version not in _schemas:
            name = "ExchangeMessage.xsd" if version == "header" else f"EnterpriseData_{version.replace('.', '_')}.xsd"
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
            _schemas[version] = etree.XMLSchema(etree.parse(str(strict_xsd_dir / name), parser))
        return _schemas[version]

    return load
