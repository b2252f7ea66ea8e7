"""The documentation's generated parts state what the code does: every setting and every command, each explained."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from kassa_server.settings import Limits, ProtocolOptions, Settings

ROOT = Path(__file__).resolve().parents[1]


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generated", ROOT / "docs" / "hooks" / "generated.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_is_in_the_configuration_table_with_its_meaning() -> None:
    rows = {name: meaning for name, _, meaning in _hook().settings_rows()}
    expected = {f"KASSA_{f.name.upper()}" for f in dataclasses.fields(Settings) if f.name not in {"limits", "protocol"}}
    expected |= {f"KASSA_LIMITS_{f.name.upper()}" for f in dataclasses.fields(Limits)}
    expected |= {f"KASSA_PROTOCOL_{f.name.upper()}" for f in dataclasses.fields(ProtocolOptions)}
    assert set(rows) == expected
    assert [name for name, meaning in rows.items() if not meaning] == [], "settings without a docstring"


def test_every_command_is_in_the_command_table() -> None:
    commands = dict(_hook().cli_rows())
    for required in ("kassa-server serve", "kassa-server device qr", "kassa-server goods import"):
        assert required in commands
    assert [command for command, text in commands.items() if not text] == [], "commands without a help line"


def test_the_markers_of_the_pages_all_have_a_generator() -> None:
    hook = _hook()
    used = {m.group(1) for page in (ROOT / "docs").rglob("*.md") for m in hook.MARKER.finditer(page.read_text())}
    assert used <= set(hook.BLOCKS)
    assert {"settings", "cli", "changelog"} <= used


def test_getting_started_shows_the_readmes_tested_commands_verbatim() -> None:
    """tests/test_cli_shop.py runs the README's «Connecting» commands on an empty database; the page shows the same."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Connecting 1С:Мобильная касса") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1) in _page("getting-started.md")


def test_the_readme_links_into_the_docs_and_not_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / target).is_file(), target


pytest_plugins = ["pytester"]
EXAMPLE = re.compile(r"<!-- example: pytest -->\n```python\n(.*?)```", re.S)


def _page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_the_pytest_examples_of_the_client_developers_page_pass(pytester: pytest.Pytester) -> None:
    examples = EXAMPLE.findall(_page("client-developers.md"))
    assert len(examples) >= 2
    first_test = examples[0].split("):\n", 1)[1].strip().splitlines()
    assert len(first_test) <= 10  # "a ten-line pytest test"
    pytester.makepyfile(**{f"test_example_{n}": code for n, code in enumerate(examples)})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=len(examples))


def test_the_fixture_example_of_the_client_developers_page_loads(tmp_path: Path) -> None:
    from kassa_server.pytest_plugin import start_server

    page = _page("client-developers.md")
    fixture = yaml.safe_load(page.split("```yaml\n", 1)[1].split("```", 1)[0])
    with start_server(tmp_path) as server:
        server.reset(fixture)
        assert "C-04" in {item.get("code") for item in server.request("GET", "/infobases/kassa/goods")}
        assert "0000000001099999" in {device["factory_number"] for device in server.devices()}
        assert "10020099" in {terminal["number"] for terminal in server.terminals()}
        assert [card["discount_percent"] for card in server.cards(search="C-100")] == ["7.00"]
        assert ("C-04", "40.000") in {(row["code"], row["quantity"]) for row in server.stock()}
        kinds = server.request("GET", "/infobases/kassa/product-kinds")
        assert {"Обувь", "Одежда"} <= {kind["name"] for kind in kinds}
