"""The "Limits and hardening" page of the docs lists every limit with its setting and its default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kassa_server.settings import Limits

PAGE = Path(__file__).resolve().parents[1] / "docs" / "operations" / "limits.md"


def _section() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_every_limit_is_listed_with_its_default() -> None:
    section = _section()
    for field in dataclasses.fields(Limits):
        row = next((line for line in section.splitlines() if line.startswith(f"| `{field.name.upper()}`")), None)
        assert row is not None, f"KASSA_LIMITS_{field.name.upper()} is missing from docs/operations/limits.md"
        assert f"`{field.default}`" in row, f"{field.name}: the page's default differs from {field.default}"
