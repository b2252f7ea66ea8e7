"""The README's "Limits and hardening" section lists every limit with its setting and its default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kassa_server.settings import Limits

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Limits and hardening")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_every_limit_is_listed_with_its_default() -> None:
    section = _section()
    for field in dataclasses.fields(Limits):
        row = next((line for line in section.splitlines() if line.startswith(f"| `{field.name.upper()}`")), None)
        assert row is not None, f"KASSA_LIMITS_{field.name.upper()} is missing from the README"
        assert f"`{field.default}`" in row, f"{field.name}: the README's default differs from {field.default}"
