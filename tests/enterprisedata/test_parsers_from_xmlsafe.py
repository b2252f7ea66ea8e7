"""Every lxml parser of the server is built by ``enterprisedata/xmlsafe.py`` (the one hardened way to parse XML)."""

from __future__ import annotations

import re
from pathlib import Path

import kassa_server

PACKAGE = Path(kassa_server.__file__).parent
# the simulator stands for the device and never imports the server; it has its own hardened parser
EXEMPT = {PACKAGE / "enterprisedata" / "xmlsafe.py"}
EXEMPT_DIRS = {PACKAGE / "simulator"}
PARSER_BUILT = re.compile(r"XMLParser\(|etree\.iterparse\(|etree\.XMLPullParser\(|etree\.parse\(")
DEFAULT_PARSER = re.compile(r"etree\.(fromstring|XML|XMLID)\((?:[^(),]|\([^()]*\))*\)")


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in EXEMPT and not any(d in path.parents for d in EXEMPT_DIRS)
    ]


def test_no_module_builds_its_own_parser() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m.group(0)}" for p in _sources() for m in PARSER_BUILT.finditer(p.read_text())
    ]
    assert offenders == []


def test_no_module_parses_with_lxmls_default_parser() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m.group(0)}" for p in _sources() for m in DEFAULT_PARSER.finditer(p.read_text())
    ]
    assert offenders == []
