"""Let spyne 2.14.0 (the last release) import on Python 3.12 and 3.13.

spyne vendors ``six`` 1.14 as ``spyne.util.six``. Its meta-path importer, which serves the virtual modules
``spyne.util.six.moves.*`` (spyne imports ``spyne.util.six.moves.urllib.parse`` and others), implements only the
PEP 302 ``find_module``/``load_module`` pair. Python 3.12 stopped calling ``find_module``, so on 3.12+ every
``from spyne.util.six.moves… import`` fails with ``ModuleNotFoundError`` (and on 3.11 the fallback warns with
``ImportWarning: _SixMetaPathImporter.find_spec() not found``).

``install()`` puts a small PEP 451 finder in front of ``sys.meta_path`` that answers for exactly those names by
asking the vendored importer (as six 1.16 itself does), and takes the vendored importer off ``sys.meta_path`` once
six has put it there (so 3.11 stops warning too): nothing in site-packages is edited and spyne is not forked. It must
run before the first ``import spyne``; ``kassa_server/services/__init__.py`` calls it, and every spyne import of
kassa-server lives in that package. The finder touches no other name and is idempotent.

The other thing spyne needs on 3.13 is the ``cgi`` module (removed from the standard library by PEP 594; spyne
calls ``cgi.parse_header``): ``pyproject.toml`` depends on ``legacy-cgi``, the maintained fork of that module, on
Python 3.13 and later.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

SIX_NAME = "spyne.util.six"
_MOVES_PREFIX = SIX_NAME + ".moves"

__all__ = ["SixMovesFinder", "install"]


class SixMovesFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``spyne.util.six.moves[.…]`` through the vendored six's own importer (``spyne.util.six._importer``)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        importer = self._six_importer()
        if importer is not None and importer in sys.meta_path:
            # six appends its importer when it loads; from then on this finder serves its names. Removing an entry
            # after this one is safe while the import system iterates over sys.meta_path.
            sys.meta_path.remove(importer)
        if fullname != _MOVES_PREFIX and not fullname.startswith(_MOVES_PREFIX + "."):
            return None
        if importer is None or fullname not in importer.known_modules:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=importer.is_package(fullname))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        importer = self._six_importer()
        assert importer is not None  # find_spec only answers once six is loaded
        module: ModuleType = importer.load_module(spec.name)
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The module six hands out is complete already (a lazy module or the real stdlib module)."""

    @staticmethod
    def _six_importer() -> Any:
        six = sys.modules.get(SIX_NAME)
        return getattr(six, "_importer", None) if six is not None else None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` once per process."""
    if not any(isinstance(finder, SixMovesFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, SixMovesFinder())
