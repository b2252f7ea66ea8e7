"""What the package declares (issue 13): the Pythons it supports, runtime dependencies that are exactly what it
imports, upper bounds where a major release could break it, and a constraints file pinning all of them."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Declared, yet never imported by name: each is used through another package.
USED_INDIRECTLY = {
    "httptools": "uvicorn parses HTTP with it when installed",
    "uvloop": "uvicorn's event loop when installed",
    "pillow": "qrcode draws PNG codes with it",
    "python-multipart": "starlette parses the back office's forms and uploads with it",
    "legacy-cgi": "spyne imports cgi, gone from the standard library in 3.13",
}
# Imported only by a module that the named program itself loads, so never needed at run time.
LOADED_BY = {"pytest": "kassa_server/pytest_plugin.py is loaded by pytest, through the pytest11 entry point"}
# A new major release of these changes APIs we call.
MAJOR_SENSITIVE = {
    "starlette",
    "uvicorn",
    "anyio",
    "sqlalchemy",
    "alembic",
    "lxml",
    "zeep",
    "qrcode",
    "jinja2",
    "itsdangerous",
}


def _requirements() -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, PROJECT["dependencies"])}


# PEP 594: gone from the standard library in Python 3.13
REMOVED_IN_313 = {
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib",
    "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
}  # fmt: skip


def _imported_modules() -> set[str]:
    modules: set[str] = set()
    for path in (ROOT / "kassa_server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def _imported_distributions() -> set[str]:
    third_party = (
        _imported_modules() - set(sys.stdlib_module_names) - REMOVED_IN_313 - {"kassa_server"} - set(LOADED_BY)
    )
    owners = importlib.metadata.packages_distributions()
    found = set()
    for module in third_party:
        assert module in owners, f"{module} is imported but no installed distribution provides it"
        found.update(canonicalize_name(name) for name in owners[module])
    return found


def test_supported_pythons() -> None:
    assert PROJECT["requires-python"] == ">=3.11,<3.14"


def test_runtime_dependencies_are_what_the_package_imports() -> None:
    declared = set(_requirements())
    imported = _imported_distributions()
    assert imported - declared == set(), "imported but not declared"
    assert declared - imported == set(USED_INDIRECTLY), "declared but not imported (move to an extra?)"


def test_no_module_removed_in_python_313_is_imported() -> None:
    assert _imported_modules() & REMOVED_IN_313 == set()


def test_upper_bounds_where_a_major_release_could_break_us() -> None:
    requirements = _requirements()
    for name in MAJOR_SENSITIVE:
        assert any(spec.operator in {"<", "=="} for spec in requirements[name].specifier), name


def test_the_constraints_file_pins_every_dependency_and_is_used() -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)==", line)
        if match:
            pins[canonicalize_name(match[1])] = line
    extras = PROJECT["optional-dependencies"]
    every = [*PROJECT["dependencies"], *(req for group in extras.values() for req in group)]
    missing = {canonicalize_name(Requirement(req).name) for req in every} - set(pins)
    assert missing == set(), "not pinned: run bash .ci/refresh-constraints"
    assert "-c constraints.txt" in (ROOT / ".ci/run").read_text()
    assert "-c constraints.txt" in (ROOT / "Dockerfile").read_text()
