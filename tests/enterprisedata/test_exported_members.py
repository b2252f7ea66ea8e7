"""The format's public surface is exactly its ``__all__`` (as httpx's tests/test_exported_members.py checks)."""

from __future__ import annotations

import types

import kassa_server.enterprisedata as ed
from kassa_server.enterprisedata import objects


def test_all_public_names_are_exported() -> None:
    public = (
        name
        for name, value in vars(ed).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)  # submodules bound by importing them
        and name != "annotations"  # from __future__
    )
    # the order is ruff's (RUF022); here only the contents matter
    assert len(ed.__all__) == len(set(ed.__all__))
    assert set(ed.__all__) == set(public)


def test_every_exported_name_resolves() -> None:
    for name in ed.__all__:
        assert getattr(ed, name) is not None, name


def test_star_import_of_objects_leaks_no_helpers() -> None:
    for helper in ("dataclass", "date", "datetime", "Decimal", "ClassVar", "log", "wire", "wire_list", "KEY"):
        assert helper not in ed.__all__
        assert not hasattr(ed, helper), helper


def test_every_format_class_is_exported() -> None:
    defined = [
        name
        for name, value in vars(objects).items()
        if isinstance(value, type) and value.__module__ == objects.__name__
    ]
    assert set(defined) <= set(ed.__all__)
