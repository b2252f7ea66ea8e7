"""MkDocs hook: the parts of the docs that the code states, generated at build time so they are never written twice.

A page asks for a generated block with an HTML comment on a line of its own:

- ``<!-- generated: settings -->``: every ``KASSA_*`` variable, its default and its meaning, from ``settings.py``;
- ``<!-- generated: cli -->``: every command of ``kassa-server`` with its help line, from the argparse parser;
- ``<!-- generated: changelog -->``: ``CHANGELOG.md``.

``tests/test_docs.py`` imports this module to check the blocks against the code.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- generated: (\w+) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return MARKER.sub(lambda match: BLOCKS[match.group(1)](), markdown)


def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass: the string literal that follows a field's annotated assignment."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, [*body[1:], None], strict=True):
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            docs[node.target.id] = " ".join(str(following.value.value).split())
    return docs


def settings_rows() -> list[tuple[str, str, str]]:
    """``(variable, default, meaning)`` for every setting, in the order ``settings.py`` declares them."""
    from kassa_server import settings as module

    rows: list[tuple[str, str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        docs = field_docs(cls)
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
            if dataclasses.is_dataclass(default):
                walk(type(default), f"{prefix}{f.name.upper()}_")
                continue
            rows.append((f"{prefix}{f.name.upper()}", _show(default), docs.get(f.name, "")))

    walk(module.Settings, module.ENV_PREFIX)
    return rows


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "`" + ",".join(str(item) for item in value) + "`" if value else "(empty)"
    if value in ("", None):
        return "(empty)"
    return f"`{value}`"


def settings_table(prefix: str = "") -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [
        f"| `{name}` | {default} | {_cell(meaning)} |"
        for name, default, meaning in settings_rows()
        if name.startswith(prefix)
    ]
    return "\n".join(lines)


def cli_rows() -> list[tuple[str, str]]:
    """``(command, help)`` for every leaf command of the parser, depth first."""
    from kassa_server.cli import build_parser

    rows: list[tuple[str, str]] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return
        helps = {choice.dest: choice.help or "" for choice in actions[0]._choices_actions}
        for name, sub in actions[0].choices.items():
            command = f"{path} {name}".strip()
            if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                walk(sub, command)
            else:
                rows.append((command, helps.get(name, "")))

    walk(build_parser(), "kassa-server")
    return rows


def cli_table() -> str:
    lines = ["| command | what it does |", "|---|---|"]
    lines += [f"| `{command}` | {_cell(text)} |" for command, text in cli_rows()]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def changelog() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text.split("\n", 1)[1] if text.startswith("# ") else text


BLOCKS = {"settings": settings_table, "cli": cli_table, "changelog": changelog}
